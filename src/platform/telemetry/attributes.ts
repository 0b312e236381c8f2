/**
 * The OpenTelemetry semantic-convention attribute names this service writes, in one place. Stable names
 * come from `@opentelemetry/semantic-conventions`; the few still incubating in 1.45 from its
 * `/incubating` entry (which may change between minor versions — pinned exactly in package.json).
 * Everything outside platform/telemetry imports them from here, never from the package.
 */
export {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_RESPONSE_STATUS_CODE,
  ATTR_DB_SYSTEM_NAME,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_USER_AGENT_ORIGINAL,
  DB_SYSTEM_NAME_VALUE_POSTGRESQL,
} from "@opentelemetry/semantic-conventions";
export { ATTR_DB_RESPONSE_RETURNED_ROWS, ATTR_USER_ID } from "@opentelemetry/semantic-conventions/incubating";
