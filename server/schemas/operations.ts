/** /healthz and /readyz. */
import { Type } from 'typebox';

export const Health = Type.Object({ status: Type.Literal('ok') }, { description: 'Up' });

export const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  problems: Type.Array(Type.String(), { description: 'Why not ready: "redis unreachable", "timer worker not running"' }),
}, { description: 'Ready (200) or not (503), and why' });
