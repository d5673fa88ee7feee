import { protectedRoute } from "../lib/router";
import {
  errorResponse,
  jsonContent as json,
  jsonBody,
  messageSchema,
  preconditionFailedResponse,
} from "../lib/schemas";
import {
  createProductBody,
  productListQuery,
  productListResponse,
  productParams,
  productResponse,
  updateProductBody,
} from "./products.schemas";

const tags = ["Products"];
const notFound = errorResponse("Product with id {uuid} not found");

export const listProductsRoute = protectedRoute({
  method: "get",
  path: "/products",
  tags,
  summary: "List products",
  request: { query: productListQuery },
  responses: {
    200: json(productListResponse, "A page of products, oldest first"),
  },
});

export const createProductRoute = protectedRoute({
  method: "post",
  path: "/products",
  tags,
  summary: "Create a product",
  request: { body: jsonBody(createProductBody, "The new product") },
  responses: { 201: json(productResponse, "The created product") },
});

export const getProductRoute = protectedRoute({
  method: "get",
  path: "/products/{productId}",
  tags,
  summary: "Get a product",
  request: { params: productParams },
  responses: { 200: json(productResponse, "The product"), 404: notFound },
});

export const updateProductRoute = protectedRoute({
  method: "put",
  path: "/products/{productId}",
  tags,
  summary: "Update a product",
  request: {
    params: productParams,
    body: jsonBody(updateProductBody, "Fields to change"),
  },
  responses: {
    200: json(productResponse, "The updated product"),
    404: notFound,
    412: preconditionFailedResponse,
  },
});

export const deleteProductRoute = protectedRoute({
  method: "delete",
  path: "/products/{productId}",
  tags,
  summary: "Delete a product",
  request: { params: productParams },
  responses: {
    200: json(messageSchema, "Deleted"),
    404: notFound,
    409: errorResponse("The product is used by orders"),
    412: preconditionFailedResponse,
  },
});
