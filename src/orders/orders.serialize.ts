import { fromCents } from "../lib/money";
import { iso } from "../lib/time";
import { serializeImage } from "../products/products.serialize";
import type { FullOrder } from "./orders.service";

/** The order object exactly as the published docs show it (mixed casing included). */
export const serializeOrder = (order: FullOrder) => ({
  id: order.id,
  customer_id: order.customerId,
  total_amount: fromCents(order.totalCents),
  status: order.status,
  order_date: iso(order.orderDate),
  shipping_address: order.shippingAddress,
  billing_address: order.billingAddress,
  notes: order.notes,
  project_id: order.projectId,
  createdAt: iso(order.createdAt),
  updatedAt: iso(order.updatedAt),
  customer: {
    id: order.customer.id,
    name: order.customer.name,
    email: order.customer.email,
    phone: order.customer.phone,
    company: order.customer.company,
  },
  orderItems: order.orderItems.map((item) => ({
    id: item.id,
    order_id: item.orderId,
    product_id: item.productId,
    quantity: item.quantity,
    unit_price: fromCents(item.unitPriceCents),
    total_amount: fromCents(item.totalCents),
    product: {
      id: item.product.id,
      name: item.product.name,
      sku: item.product.sku,
      price: fromCents(item.product.priceCents),
      images: item.product.images.map(serializeImage),
    },
  })),
});
