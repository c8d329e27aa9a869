import type { Context } from "./context.js";
export async function stormFigures(_ctx: Context): Promise<void> {}
