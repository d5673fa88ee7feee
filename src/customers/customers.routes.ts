import { protectedRoute } from "../lib/router";
import {
  errorResponse,
  jsonContent as json,
  jsonBody,
  messageSchema,
  preconditionFailedResponse,
} from "../lib/schemas";
import {
  createCustomerBody,
  customerListQuery,
  customerListResponse,
  customerParams,
  customerResponse,
  updateCustomerBody,
} from "./customers.schemas";

const tags = ["Customers"];
const notFound = errorResponse("Customer not found");

export const listCustomersRoute = protectedRoute({
  method: "get",
  path: "/crm/customers",
  tags,
  summary: "List customers",
  request: { query: customerListQuery },
  responses: {
    200: json(customerListResponse, "A page of customers, oldest first"),
  },
});

export const createCustomerRoute = protectedRoute({
  method: "post",
  path: "/crm/customers",
  tags,
  summary: "Create a customer",
  request: { body: jsonBody(createCustomerBody, "The new customer") },
  responses: { 201: json(customerResponse, "The created customer") },
});

export const getCustomerRoute = protectedRoute({
  method: "get",
  path: "/crm/customers/{customerId}",
  tags,
  summary: "Get a customer",
  request: { params: customerParams },
  responses: { 200: json(customerResponse, "The customer"), 404: notFound },
});

export const updateCustomerRoute = protectedRoute({
  method: "put",
  path: "/crm/customers/{customerId}",
  tags,
  summary: "Update a customer",
  request: {
    params: customerParams,
    body: jsonBody(updateCustomerBody, "Fields to change"),
  },
  responses: {
    200: json(customerResponse, "The updated customer"),
    404: notFound,
    412: preconditionFailedResponse,
  },
});

export const deleteCustomerRoute = protectedRoute({
  method: "delete",
  path: "/crm/customers/{customerId}",
  tags,
  summary: "Delete a customer",
  request: { params: customerParams },
  responses: {
    200: json(messageSchema, "Deleted"),
    404: notFound,
    409: errorResponse("The customer still has orders"),
    412: preconditionFailedResponse,
  },
});
