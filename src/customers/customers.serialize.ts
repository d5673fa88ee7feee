import { iso } from "../lib/time";
import type { CustomerRow } from "./customers.service";

export const serializeCustomer = (row: CustomerRow) => ({
  id: row.id,
  name: row.name,
  email: row.email,
  phone: row.phone,
  company: row.company,
  project_id: row.projectId,
  createdAt: iso(row.createdAt),
  updatedAt: iso(row.updatedAt),
});
