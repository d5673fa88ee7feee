import type { Hook } from "@hono/zod-openapi";
import type { z } from "zod";
import { badRequest, type FieldError, INVALID_PARAMETERS } from "./errors";

type Issue = z.core.$ZodIssue;

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`))
    .join("");
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const part of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

const article = (word: string) => (/^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`);

const formatNames: Record<string, string> = {
  uuid: "a UUID",
  email: "a valid email address",
  datetime: "an ISO-8601 date-time (e.g. 2024-01-20T10:00:00.000Z)",
  url: "an http(s) URL",
};

/** One readable sentence per zod issue, naming the field the way the client wrote it. */
export function describeIssue(issue: Issue, input: unknown): FieldError {
  let field = formatPath(issue.path);
  const subject = field || "Request body";
  let message: string;
  switch (issue.code) {
    case "invalid_type":
      if (field && valueAt(input, issue.path) === undefined) message = `${field} is required`;
      else if (!field) message = "Request body must be a JSON object";
      else if (issue.expected === "int") message = `${subject} must be an integer`;
      else message = `${subject} must be ${article(issue.expected)}`;
      break;
    case "unrecognized_keys": {
      const names = issue.keys.map((key) => (field ? `${field}.${key}` : key));
      message = `Unknown field${names.length > 1 ? "s" : ""}: ${names.join(", ")}`;
      field = names.join(", ");
      break;
    }
    case "too_small":
      if (issue.origin === "array")
        message = `${subject} must contain at least ${issue.minimum} item${Number(issue.minimum) === 1 ? "" : "s"}`;
      else if (issue.origin === "string") message = `${subject} must not be empty`;
      else message = `${subject} must be at least ${issue.minimum}`;
      break;
    case "too_big":
      if (issue.origin === "array") message = `${subject} must contain at most ${issue.maximum} items`;
      else if (issue.origin === "string") message = `${subject} must be at most ${issue.maximum} characters`;
      else message = `${subject} must be at most ${issue.maximum}`;
      break;
    case "invalid_format":
      // A pattern names itself through its custom message ("must be a UUID"); zod's default for a regex is
      // not a sentence about the field, and "must be a valid regex" would blame the client's value wrongly.
      if (issue.format === "regex")
        message = /^must\b/.test(issue.message) ? `${subject} ${issue.message}` : `${subject} has an invalid format`;
      else message = `${subject} must be ${formatNames[issue.format] ?? `a valid ${issue.format}`}`;
      break;
    case "invalid_value":
      message = `${subject} must be one of: ${issue.values.map(String).join(", ")}`;
      break;
    default:
      message = field && !issue.message.startsWith(field) ? `${field} ${issue.message}` : issue.message;
  }
  return { field: field || "body", message };
}

/**
 * Every validation failure answers in the one error envelope. Query and path problems use the published
 * "Invalid request parameters"; body problems name the first bad field, with every problem in `errors`.
 */
// biome-ignore lint/suspicious/noExplicitAny: the hook serves every route, whatever its env and schemas.
export const validationHook: Hook<any, any, any, any> = (result) => {
  if (result.success) return;
  const input = (result as { data?: unknown }).data;
  const errors = result.error.issues.map((issue) => describeIssue(issue, input));
  if (result.target !== "json") throw badRequest(INVALID_PARAMETERS, errors);
  throw badRequest(errors[0]?.message ?? INVALID_PARAMETERS, errors);
};
