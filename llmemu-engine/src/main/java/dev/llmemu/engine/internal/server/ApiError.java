package dev.llmemu.engine.internal.server;

import io.netty.handler.codec.http.HttpResponseStatus;
import org.jspecify.annotations.Nullable;

/**
 * An error answered in vLLM's shape: {@code {"error":{"message","type","param","code"}}} with the
 * HTTP status as {@code code}.
 */
public final class ApiError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String type;
  private final @Nullable String param;

  public ApiError(int status, String type, String message, @Nullable String param) {
    super(message, null, false, false);
    this.status = status;
    this.type = type;
    this.param = param;
  }

  /** 400 with vLLM's {@code BadRequestError} type (a {@code VLLMValidationError}). */
  public static ApiError badRequest(String message, @Nullable String param) {
    return new ApiError(400, "BadRequestError", message, param);
  }

  /** 400 with the HTTP phrase as type: FastAPI request validation (pydantic) failures. */
  public static ApiError validation(String message, @Nullable String param) {
    return new ApiError(400, "Bad Request", message, param);
  }

  public static ApiError notFound(String message) {
    return new ApiError(404, "NotFoundError", message, null);
  }

  public static ApiError internal() {
    return new ApiError(500, "InternalServerError", "Internal server error", null);
  }

  /** An error whose type is the HTTP reason phrase (injected faults, 413, 429, 503). */
  public static ApiError ofStatus(int status, String message) {
    return new ApiError(status, typeFor(status), message, null);
  }

  static String typeFor(int status) {
    return switch (status) {
      case 400 -> "BadRequestError";
      case 401 -> "AuthenticationError";
      case 403 -> "PermissionDeniedError";
      case 404 -> "NotFoundError";
      case 422 -> "UnprocessableEntityError";
      case 429 -> "RateLimitError";
      case 500 -> "InternalServerError";
      case 501 -> "NotImplementedError";
      case 503 -> "ServiceUnavailableError";
      default -> HttpResponseStatus.valueOf(status).reasonPhrase();
    };
  }

  public int status() {
    return status;
  }

  public String type() {
    return type;
  }

  public @Nullable String param() {
    return param;
  }
}
