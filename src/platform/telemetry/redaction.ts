/**
 * The one list of secret names. A log property, span or log attribute, or request header whose name
 * matches never leaves the process with its value: the logger drops such properties (logger.ts), the
 * OTLP exporters replace such attributes with `[REDACTED]` whoever set them (instrumentation.ts),
 * Fedify's spans never record such headers (redacting-tracer.ts) and Fedify never receives them
 * (federation/activitypub.ts).
 */
export const SECRET_NAME =
  /pass(?:code|phrase|word)|passwd|secret|token|authorization|cookie|credential|api[-_.]?key|signature/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

const HEADER_ATTRIBUTE = /^http\.(?:request|response)\.header\.(.+)$/i;

/** `http.request.header.<name>` / `http.response.header.<name>` (OTel semconv) of a secret header. */
export function isSecretHeaderAttribute(key: string): boolean {
  const header = HEADER_ATTRIBUTE.exec(key)?.[1];
  return header !== undefined && isSecretName(header);
}
