/**
 * AWS restJson1 error responses, as AWS IoT sends them: the code in the
 * `x-amzn-ErrorType` header, `{"message": ...}` (plus modeled extra members)
 * in the body, and the HTTP status the service model declares for the code.
 */

import { OPERATIONS as MODEL_OPERATIONS } from "../api/model/iot.generated.ts";

export const ERROR_STATUS = {
  InvalidRequestException: 400,
  ValidationException: 400,
  ThrottlingException: 400,
  UnauthorizedException: 401,
  AccessDeniedException: 403,
  InvalidSignatureException: 403,
  UnrecognizedClientException: 403,
  MissingAuthenticationTokenException: 403,
  IncompleteSignatureException: 403,
  ServiceQuotaExceededException: 402,
  UnknownOperationException: 404,
  MethodNotAllowedException: 405,
  ResourceNotFoundException: 404,
  ConflictException: 409,
  ResourceAlreadyExistsException: 409,
  InvalidStateTransitionException: 409,
  VersionConflictException: 409,
  LimitExceededException: 410,
  RequestEntityTooLargeException: 413,
  UnsupportedDocumentEncodingException: 415,
  InternalFailureException: 500,
  InternalServerException: 500,
  ServiceUnavailableException: 503,
  // awsQuery (CloudFormation) codes
  ValidationError: 400,
  Throttling: 400,
  AlreadyExistsException: 400,
  InvalidAction: 400,
  MissingAuthenticationToken: 403,
  IncompleteSignature: 403,
  InvalidClientTokenId: 403,
  SignatureDoesNotMatch: 403,
  InternalFailure: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** An error the endpoint answers with; thrown by operation handlers. */
export class IoTError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  /** Extra modeled members, e.g. resourceId/resourceArn of ResourceAlreadyExistsException. */
  readonly extra: Record<string, unknown>;
  /** `status` overrides the code's usual status (the data plane sends ThrottlingException as 429). */
  constructor(code: ErrorCode, message: string, extra: Record<string, unknown> = {}, status?: number) {
    super(message);
    this.code = code;
    this.extra = extra;
    this.status = status ?? ERROR_STATUS[code];
  }
}

export const invalid = (message: string) => new IoTError("InvalidRequestException", message);
export const notFound = (message: string) => new IoTError("ResourceNotFoundException", message);

const modeledErrors = (operation: string): readonly string[] =>
  (MODEL_OPERATIONS as Record<string, { errors: readonly string[] }>)[operation]?.errors ?? [];

/**
 * The error as the model declares it for the operation: a bad request is
 * InvalidRequestException for most IoT operations, but ValidationException
 * for those that list it instead (the Software Package Catalog's). The
 * account's checks throw InvalidRequestException; the protocol answers with
 * the operation's own code, the message unchanged.
 */
export function asModeled(operation: string, error: IoTError): IoTError {
  if (error.code !== "InvalidRequestException") return error;
  const listed = modeledErrors(operation);
  if (listed.includes("InvalidRequestException") || !listed.includes("ValidationException")) return error;
  return new IoTError("ValidationException", error.message, error.extra);
}

/** The server errors an operation may answer, in the order an injected fault picks them. */
const SERVER_ERRORS = [
  ["ServiceUnavailableException", "Service unavailable (injected fault)"],
  ["InternalFailureException", "Internal failure (injected fault)"],
  ["InternalServerException", "Internal server error (injected fault)"],
] as const;

/** The 5xx error the model lists for an operation (an injected fault answers with it). */
export function serverErrorFor(operation: string): IoTError {
  const listed = modeledErrors(operation);
  const [code, message] = SERVER_ERRORS.find(([c]) => listed.includes(c)) ?? SERVER_ERRORS[1];
  return new IoTError(code, message);
}
