import { z } from "@hono/zod-openapi";
import { normalizeId } from "./ids";

// Building blocks shared by every resource's request and response schemas.

const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export const uuid = () =>
  z.string().regex(UUID_PATTERN, { error: "must be a UUID" }).transform(normalizeId).openapi({
    type: "string",
    format: "uuid",
    example: "3f1c2a4e-8b7d-4c1e-9a2b-5d6e7f8a9b0c",
  });

// Text is stored exactly as sent, so it must be storable: no NUL characters, and no unpaired surrogates
// (which UTF-8 cannot represent and would come back altered).
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const storable = { error: "must be valid text (no NUL characters or unpaired surrogates)" };
const isStorable = (value: string) => !value.includes("\u0000") && !UNPAIRED_SURROGATE.test(value);

/** A required name: trimmed, 1 to `max` characters. */
export const requiredText = (max: number) => z.string().trim().min(1).max(max).refine(isStorable, storable);

/** Optional free text, not trimmed (it round-trips exactly); null means "no value" and clears it on PUT. */
export const optionalText = (max: number) => z.string().max(max).refine(isStorable, storable).nullable().optional();

export const timestamp = () => z.string().openapi({ format: "date-time", example: "2024-01-20T10:00:00.000Z" });

const positiveIntegerParam = (name: string, fallback: number, max?: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, { error: `must be a whole number` })
    .transform(Number)
    .pipe(max ? z.number().int().min(1).max(max) : z.number().int().min(1))
    .default(fallback)
    .openapi({
      param: { name, in: "query" },
      type: "integer",
      minimum: 1,
      maximum: max,
      default: fallback,
    });

export const MAX_SEARCH_LENGTH = 200;

/** page, limit and search, common to every list endpoint. */
export const listQuery = z.object({
  page: positiveIntegerParam("page", 1),
  limit: positiveIntegerParam("limit", 10, 100),
  search: z
    .string()
    .max(MAX_SEARCH_LENGTH)
    .transform((value) => value.trim())
    .optional()
    .openapi({
      param: { name: "search", in: "query" },
      description: "Case-insensitive substring; %, _ and \\ match themselves.",
    }),
});

export const pagination = z.object({
  total: z.number().int(),
  page: z.number().int(),
  limit: z.number().int(),
});

export const messageSchema = z
  .object({
    message: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .openapi("Error");

export const errorResponse = (description: string) => ({
  content: { "application/json": { schema: messageSchema } },
  description,
});

export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});

export const jsonBody = <T extends z.ZodType>(schema: T, description: string) => ({
  ...jsonContent(schema, description),
  required: true,
});

export const preconditionFailedResponse = errorResponse("If-Match does not match the current ETag");
