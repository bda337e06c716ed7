// ESM entry of `sealvault/playwright` (the logic is in playwright.cjs).
import helpers from "./playwright.cjs";

export const { captureContext, saveContext, restoreContext, newContextFromState, sessionStorageScript } = helpers;
export default helpers;
