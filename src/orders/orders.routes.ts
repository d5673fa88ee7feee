import { protectedRoute } from "../lib/router";
import {
  errorResponse,
  jsonContent as json,
  jsonBody,
  messageSchema,
  preconditionFailedResponse,
} from "../lib/schemas";
import {
  createOrderBody,
  orderListQuery,
  orderListResponse,
  orderParams,
  orderResponse,
  updateOrderBody,
} from "./orders.schemas";

const tags = ["Orders"];
const notFound = errorResponse("Order not found");
const referenceNotFound = errorResponse("Customer not found / Product with id {uuid} not found");

export const listOrdersRoute = protectedRoute({
  method: "get",
  path: "/crm/orders",
  tags,
  summary: "List orders",
  request: { query: orderListQuery },
  responses: {
    200: json(orderListResponse, "A page of orders, newest order_date first"),
  },
});

export const createOrderRoute = protectedRoute({
  method: "post",
  path: "/crm/orders",
  tags,
  summary: "Create an order",
  request: { body: jsonBody(createOrderBody, "The new order") },
  responses: {
    201: json(orderResponse, "The created order, totals computed from current product prices"),
    404: referenceNotFound,
  },
});

export const getOrderRoute = protectedRoute({
  method: "get",
  path: "/crm/orders/{orderId}",
  tags,
  summary: "Get an order",
  request: { params: orderParams },
  responses: { 200: json(orderResponse, "The order"), 404: notFound },
});

export const updateOrderRoute = protectedRoute({
  method: "put",
  path: "/crm/orders/{orderId}",
  tags,
  summary: "Update an order",
  request: {
    params: orderParams,
    body: jsonBody(updateOrderBody, "Fields to change"),
  },
  responses: {
    200: json(orderResponse, "The updated order"),
    404: errorResponse("Order not found / Customer not found / Product with id {uuid} not found"),
    412: preconditionFailedResponse,
  },
});

export const deleteOrderRoute = protectedRoute({
  method: "delete",
  path: "/crm/orders/{orderId}",
  tags,
  summary: "Delete an order",
  request: { params: orderParams },
  responses: {
    200: json(messageSchema, "Deleted"),
    404: notFound,
    412: preconditionFailedResponse,
  },
});
