/**
 * The OpenTelemetry semantic-convention attribute names this service writes, in one place. Stable names
 * come from `@opentelemetry/semantic-conventions`. The few still incubating in 1.45 are spelled here:
 * the package's `/incubating` entry holds every experimental name and costs 3.5 MB of heap (10 MB
 * resident) for these five strings; test/telemetry/attributes.test.ts checks each against it.
 * Everything outside platform/telemetry imports them from here, never from the package.
 */
export {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_RESPONSE_STATUS_CODE,
  ATTR_DB_SYSTEM_NAME,
  ATTR_DEPLOYMENT_ENVIRONMENT_NAME,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  ATTR_URL_PATH,
  ATTR_USER_AGENT_ORIGINAL,
  DB_SYSTEM_NAME_VALUE_POSTGRESQL,
} from "@opentelemetry/semantic-conventions";

/** Incubating (1.45): rows a database statement returned. */
export const ATTR_DB_RESPONSE_RETURNED_ROWS = "db.response.returned_rows";
/** Incubating (1.45): the signed-in user's id. */
export const ATTR_USER_ID = "user.id";
/** Incubating (1.45): the runtime's name, version and description (resource attributes). */
export const ATTR_PROCESS_RUNTIME_NAME = "process.runtime.name";
export const ATTR_PROCESS_RUNTIME_VERSION = "process.runtime.version";
export const ATTR_PROCESS_RUNTIME_DESCRIPTION = "process.runtime.description";
