import { CCRError } from "../src/errors.ts";

/** The CCRError `promise` rejects with; anything else (or no rejection) fails the test. */
export async function rejection(promise: Promise<unknown>): Promise<CCRError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CCRError) return error;
    throw error;
  }
  throw new Error("expected a CCRError");
}
