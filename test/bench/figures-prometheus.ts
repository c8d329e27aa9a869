import type { Context } from "./context.js";
export async function prometheusFigures(_ctx: Context): Promise<void> {}
