import type { SecondFactorField } from "../connectors/connector.ts";
import { captchaImage } from "./captcha-image.ts";
import {
  CAPTCHA_ANSWER,
  CHOICE_ANSWER,
  MAINTENANCE_SECONDS,
  SANDBOX_PASSWORD,
  type Scenario,
  scenarioOf,
  TOKEN_ANSWER,
} from "./test-logins.ts";

/** The login rules the Sandbox Bank's pages, JSON API and OFX server share. */
export type LoginVerdict =
  | { readonly kind: "in"; readonly scenario: Scenario }
  | { readonly kind: "twofa"; readonly scenario: Scenario; readonly fields: SecondFactorField[] }
  | {
      readonly kind: "refused";
      readonly error: string;
      readonly httpStatus: number;
      readonly message: string;
    }
  | { readonly kind: "unavailable"; readonly retryAfterSeconds?: number }
  | { readonly kind: "stall" }
  | { readonly kind: "garbage" }
  | { readonly kind: "unknown-step" };

export type SiteVariant = "personal" | "business";

const refused = (error: string, httpStatus: number, message: string): LoginVerdict => ({
  kind: "refused",
  error,
  httpStatus,
  message,
});

function secondFactorFields(scenario: Scenario): SecondFactorField[] {
  if (scenario === "token")
    return [
      {
        name: "token",
        type: "token",
        label: "Enter the code your security device shows",
        challenge: "Challenge 4711: type 4711 on your device",
      },
    ];
  if (scenario === "choice")
    return [
      {
        name: "picture",
        type: "choice",
        label: "Which picture did you choose when you enrolled?",
        options: [
          { value: "cat", label: "A cat" },
          { value: "anchor", label: "An anchor" },
          { value: "tree", label: "A tree" },
        ],
      },
    ];
  return [
    {
      name: "captcha",
      type: "image",
      label: "Type the characters in the image",
      image: captchaImage(CAPTCHA_ANSWER),
    },
  ];
}

const expectedAnswers: Partial<Record<Scenario, [string, string]>> = {
  token: ["token", TOKEN_ANSWER],
  choice: ["picture", CHOICE_ANSWER],
  captcha: ["captcha", CAPTCHA_ANSWER],
};

export function answerIsRight(scenario: Scenario, answers: Readonly<Record<string, unknown>>): boolean {
  const [name, value] = expectedAnswers[scenario] ?? [];
  return (
    name !== undefined &&
    String(answers[name] ?? "")
      .trim()
      .toUpperCase() === value?.toUpperCase()
  );
}

/** `firstTry` tells whether this site instance has seen the login before (for unavailable-once). */
export function judgeLogin(
  variant: SiteVariant,
  username: string,
  password: string,
  firstTry: boolean,
): LoginVerdict {
  const scenario = scenarioOf(username);
  if (scenario === undefined || password !== SANDBOX_PASSWORD)
    return refused("invalid_credentials", 401, "The username or password is wrong.");
  if ((scenario === "business") !== (variant === "business"))
    return refused("wrong_site", 409, "These are valid credentials for another Sandbox Bank service.");
  switch (scenario) {
    case "locked":
      return refused("locked", 423, "Your account is locked. Call us to unlock it.");
    case "conflict":
      return refused("session_active", 409, "You are already signed in elsewhere. Sign out there first.");
    case "user-action":
      return refused("action_required", 403, "Please sign in on our website and accept the new terms.");
    case "unavailable":
      return { kind: "unavailable" };
    case "unavailable-once":
      return firstTry ? { kind: "unavailable" } : { kind: "in", scenario };
    case "maintenance":
      return { kind: "unavailable", retryAfterSeconds: MAINTENANCE_SECONDS };
    case "timeout":
      return { kind: "stall" };
    case "error":
      return { kind: "garbage" };
    case "login-error":
      return { kind: "unknown-step" };
    case "token":
    case "choice":
    case "captcha":
      return { kind: "twofa", scenario, fields: secondFactorFields(scenario) };
    default:
      return { kind: "in", scenario };
  }
}
