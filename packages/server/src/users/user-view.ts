import { nullableString, nullableTimeInput, time, timestamp } from "../app/route-schemas.ts";
import { EXPECT_KEYWORD } from "../app/validator-compiler.ts";
import type { UserRow } from "./user-store.ts";

/** The API shape of a user; never includes the password hash. */
export function userView(row: UserRow) {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    mobile: row.mobile,
    firstName: row.first_name,
    lastName: row.last_name,
    disabled: row.disabled === 1,
    expiresAt: row.expires_at,
    hasPassword: row.password_hash !== null,
    passwordChangedAt: row.password_changed_at,
    lockedUntil: row.locked_until,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export const userSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    username: { type: "string" },
    email: nullableString(254),
    mobile: nullableString(32),
    firstName: nullableString(100),
    lastName: nullableString(100),
    disabled: { type: "boolean" },
    expiresAt: timestamp,
    hasPassword: { type: "boolean" },
    passwordChangedAt: timestamp,
    lockedUntil: timestamp,
    createdAt: time,
    updatedAt: time,
  },
} as const;

/** Input fields shared by create and update. */
export const userFields = {
  email: {
    type: ["string", "null"],
    maxLength: 254,
    pattern: "^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$",
    [EXPECT_KEYWORD]: "an e-mail address of at most 254 characters, such as alice@example.com",
  },
  mobile: {
    type: ["string", "null"],
    pattern: "^\\+[1-9][0-9]{6,14}$",
    [EXPECT_KEYWORD]: "an E.164 number, such as +14155550100",
    description: "E.164, e.g. +14155550100",
  },
  firstName: { type: ["string", "null"], maxLength: 100 },
  lastName: { type: ["string", "null"], maxLength: 100 },
  disabled: { type: "boolean" },
  expiresAt: nullableTimeInput,
} as const;

export const passwordField = { type: "string", minLength: 8, maxLength: 1024 } as const;
