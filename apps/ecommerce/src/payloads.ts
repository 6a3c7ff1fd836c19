/** JSON shapes of orders and customers, shared by the routes. */
import { Count, Sum } from "@chakra-orm/core";
import { amountToCents, formatCents, lineTotalUnits, parseCents, roundToCents } from "./money.js";
import { Customer, type Order, OrderLine, type Product } from "./models.js";
import { lineRevenue } from "./reports.js";

export const ATTRIBUTION =
  "Northwind sample database, (c) Microsoft Corporation, MIT License, from https://github.com/microsoft/sql-server-samples";

export function orderSummary(order: Order) {
  return {
    id: order.id,
    customerId: order.customerId,
    orderDate: order.orderDate,
    shippedDate: order.shippedDate,
    freight: formatCents(parseCents(order.freight)),
  };
}

/** An order with its customer, its lines and totals computed exactly from the line values. */
export async function orderDetail(order: Order) {
  const customer = await Customer.objects.get({ id: order.customerId });
  const lines = await OrderLine.objects.filter({ orderId: order.id }).selectRelated("product").orderBy("productId").all();
  let subtotalUnits = 0;
  const linePayloads = lines.map((line) => {
    const units = lineTotalUnits(line.unitPrice, line.quantity, line.discount);
    subtotalUnits += units;

    return {
      productId: line.productId,
      productName: (line.product as Product).name,
      unitPrice: formatCents(parseCents(line.unitPrice)),
      quantity: line.quantity,
      discount: formatCents(parseCents(line.discount)),
      total: formatCents(roundToCents(units)),
    };
  });
  const subtotal = roundToCents(subtotalUnits);

  return {
    ...orderSummary(order),
    requiredDate: order.requiredDate,
    shipName: order.shipName,
    shipCity: order.shipCity,
    shipCountry: order.shipCountry,
    customer: { id: customer.id, companyName: customer.companyName, country: customer.country },
    lines: linePayloads,
    subtotal: formatCents(subtotal),
    total: formatCents(subtotal + parseCents(order.freight)),
  };
}

/** A customer with the number of orders and the revenue from them. */
export async function customerDetail(customer: Customer) {
  const totals = await OrderLine.objects
    .filter({ order__customerId: customer.id })
    .aggregate({ orders: Count("order", { distinct: true }), revenue: Sum(lineRevenue()) });

  return {
    id: customer.id,
    companyName: customer.companyName,
    contactName: customer.contactName,
    city: customer.city,
    country: customer.country,
    orderCount: totals.orders,
    revenue: formatCents(amountToCents(totals.revenue)),
  };
}
