import type { Destination } from './types';

/** `api.example.com:443`, `10.0.0.1:5432`, `[2001:db8::1]:443` — how reasons name a destination. */
export function describeTarget(dest: Destination): string {
  if (dest.host !== undefined) return `${dest.host}:${dest.port}`;
  if (dest.ip === undefined) return `?:${dest.port}`;
  return dest.ip.family === 6 ? `[${dest.ip.text}]:${dest.port}` : `${dest.ip.text}:${dest.port}`;
}
