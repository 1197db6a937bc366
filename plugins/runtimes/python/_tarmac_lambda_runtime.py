"""Tarmac's Python runtime: the Lambda Runtime API loop for `module.function` handlers.

Standard library only, so it runs under any Python 3 without installing anything. It is
imported by a two-line bootstrap.py, so that its bytecode is cached like any module's. It
behaves like AWS's Python runtime where code can tell: the handler is imported once (init),
errors come back as {errorMessage, errorType, requestId, stackTrace}, the context object has
the same attributes, `_X_AMZN_TRACE_ID` is set per invocation, and the root logger writes
Lambda's "[LEVEL]\ttime\trequest-id\tmessage" lines.
"""
import importlib
import json
import os
import socket
import sys
import time

_API = os.environ["AWS_LAMBDA_RUNTIME_API"]
_BASE = "/2018-06-01/runtime"


class _Client:
    """HTTP/1.1 over one keep-alive socket: http.client would cost more at start-up (it
    imports the email package) than the whole exchange takes."""

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self.address = (host, int(port))
        self.host = address
        self.sock = None
        self.buffer = b""

    def request(self, method, path, body=b"", headers=None):
        head = "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n" % (method, path, self.host, len(body))
        for name, value in (headers or {}).items():
            head += "%s: %s\r\n" % (name, value)
        message = head.encode("utf-8") + b"\r\n" + body
        for attempt in (0, 1):
            try:
                if self.sock is None:
                    self.sock = socket.create_connection(self.address)
                    self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    self.buffer = b""
                self.sock.sendall(message)
                return self._response()
            except OSError:
                if self.sock is not None:
                    self.sock.close()
                self.sock = None
                if attempt:
                    raise
        raise RuntimeError("unreachable")

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the Runtime API closed the connection")
        self.buffer += chunk

    def _response(self):
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("utf-8", "replace").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = b""
            while True:
                while b"\r\n" not in self.buffer:
                    self._fill()
                size_line, _, self.buffer = self.buffer.partition(b"\r\n")
                size = int(size_line.split(b";")[0], 16)
                while len(self.buffer) < size + 2:
                    self._fill()
                body += self.buffer[:size]
                self.buffer = self.buffer[size + 2:]
                if size == 0:
                    return status, headers, body
        length = int(headers.get("content-length", "0") or 0)
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, body


_client = _Client(_API)


class CognitoIdentity:
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]


class Client:
    __slots__ = ["installation_id", "app_title", "app_version_name", "app_version_code",
                 "app_package_name"]


class ClientContext:
    __slots__ = ["custom", "env", "client"]


def _identity(text):
    identity = CognitoIdentity()
    data = json.loads(text) if text else {}
    identity.cognito_identity_id = data.get("cognitoIdentityId")
    identity.cognito_identity_pool_id = data.get("cognitoIdentityPoolId")
    return identity


def _client_context(text):
    if not text:
        return None
    data = json.loads(text)
    context = ClientContext()
    context.custom = data.get("custom")
    context.env = data.get("env")
    context.client = None
    raw = data.get("client")
    if raw:
        context.client = Client()
        context.client.installation_id = raw.get("installation_id")
        context.client.app_title = raw.get("app_title")
        context.client.app_version_name = raw.get("app_version_name")
        context.client.app_version_code = raw.get("app_version_code")
        context.client.app_package_name = raw.get("app_package_name")
    return context


class LambdaContext:
    def __init__(self, request_id, deadline_ms, invoked_function_arn, identity, client_context):
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.identity = identity
        self.client_context = client_context
        self.tenant_id = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def log(self, message):
        sys.stdout.write(str(message))
        sys.stdout.flush()

    def __repr__(self):
        return ("LambdaContext([aws_request_id={0},log_group_name={1},log_stream_name={2},"
                "function_name={3},memory_limit_in_mb={4},function_version={5},"
                "invoked_function_arn={6},client_context={7},identity={8}])").format(
            self.aws_request_id, self.log_group_name, self.log_stream_name, self.function_name,
            self.memory_limit_in_mb, self.function_version, self.invoked_function_arn,
            self.client_context, self.identity)


_current_request_id = ""
_logging_installed = False


def _install_logging():
    # Like AWS's runtime, but only once the function uses the logging module: importing it
    # costs more than a warm invocation.
    global _logging_installed
    _logging_installed = True
    import logging

    class LambdaFormatter(logging.Formatter):
        default_msec_format = "%s.%03dZ"

        def __init__(self):
            super().__init__("[%(levelname)s]\t%(asctime)s\t%(aws_request_id)s\t%(message)s\n")
            self.converter = time.gmtime

        def format(self, record):
            record.aws_request_id = _current_request_id
            return super().format(record).replace("\n", "\r").rstrip("\r") + "\n"

    handler = logging.StreamHandler(sys.stdout)
    handler.terminator = ""
    handler.setFormatter(LambdaFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
    if level:
        root.setLevel(level.upper())


def _error(error_type, message, stack=None):
    return {"errorMessage": message, "errorType": error_type, "requestId": _current_request_id,
            "stackTrace": stack or []}


def _report_to_log(doc):
    # What AWS's runtime prints for an error: one entry, lines joined with \r.
    lines = ["[ERROR] %s: %s" % (doc["errorType"], doc["errorMessage"])]
    if doc.get("stackTrace"):
        lines.append("Traceback (most recent call last):")
        lines.extend(line.rstrip("\n") for line in doc["stackTrace"])
    sys.stdout.write("\r".join(lines).replace("\n", "\r") + "\n")
    sys.stdout.flush()


def _user_frames(tb):
    import traceback  # only when something failed: it is slow to import
    # Frames of this file are the runtime's, not the user's.
    frames = traceback.extract_tb(tb)
    while frames and frames[0].filename == __file__:
        frames.pop(0)
    return ['  File "%s", line %d, in %s\n    %s\n' % (f.filename, f.lineno, f.name, f.line or "")
            for f in frames]


def _load_handler(spec):
    try:
        module_path, function_name = spec.rsplit(".", 1)
    except ValueError:
        return None, _error("Runtime.MalformedHandlerName",
                            "Bad handler '%s': not enough values to unpack (expected 2, got 1)" % spec)
    module_name = module_path.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        return None, _error("Runtime.ImportModuleError",
                            "Unable to import module '%s': %s" % (module_path, e))
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s\n' % (e.filename, e.lineno, (e.text or "").strip())]
        return None, _error("Runtime.UserCodeSyntaxError",
                            "Syntax error in module '%s': %s" % (module_path, e), trace)
    except Exception as e:  # noqa: BLE001 - anything the module raised at import
        return None, _error(type(e).__name__, str(e), _user_frames(e.__traceback__))
    handler = getattr(module, function_name, None)
    if handler is None:
        return None, _error("Runtime.HandlerNotFound",
                            "Handler '%s' missing on module '%s'" % (function_name, module_path))
    return handler, None


def _post_error(path, doc):
    body = json.dumps(doc).encode()
    _client.request("POST", path, body, {
        "Content-Type": "application/json",
        "Lambda-Runtime-Function-Error-Type": doc["errorType"],
    })


class _BotocoreEndpoint:
    """Points every boto3/botocore client at Tarmac's edge, for SDKs that predate
    AWS_ENDPOINT_URL (botocore before 1.31 ignores it): when botocore.session is first
    imported, Session.create_client gets the endpoint captured at start as its default. An
    endpoint_url the code passes, or a service-specific AWS_ENDPOINT_URL_<SERVICE>, wins.
    Nothing is imported until the function imports botocore itself."""

    def __init__(self, endpoint):
        self.endpoint = endpoint

    def find_spec(self, name, path=None, target=None):
        if name != "botocore.session":
            return None
        sys.meta_path.remove(self)
        import importlib.util
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        original = loader.exec_module
        endpoint = self.endpoint

        def exec_module(module):
            original(module)
            create_client = module.Session.create_client

            def create_client_with_endpoint(self, service_name, *args, **kwargs):
                specific = "AWS_ENDPOINT_URL_" + str(service_name).upper().replace("-", "_")
                if (len(args) < 5 and kwargs.get("endpoint_url") is None
                        and not os.environ.get(specific)):
                    kwargs["endpoint_url"] = os.environ.get("AWS_ENDPOINT_URL") or endpoint
                return create_client(self, service_name, *args, **kwargs)

            module.Session.create_client = create_client_with_endpoint

        loader.exec_module = exec_module
        return spec


def main():
    global _current_request_id
    if os.environ.get("AWS_ENDPOINT_URL"):
        sys.meta_path.insert(0, _BotocoreEndpoint(os.environ["AWS_ENDPOINT_URL"]))
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    if task_root not in sys.path:
        sys.path.insert(0, task_root)

    handler, init_error = _load_handler(os.environ.get("_HANDLER", ""))
    if init_error:
        _report_to_log(init_error)
        _post_error(_BASE + "/init/error", init_error)
        sys.exit(1)

    while True:
        status, headers, body = _client.request("GET", _BASE + "/invocation/next")
        if status != 200:
            sys.stderr.write("tarmac runtime: /next answered %d: %s\n" % (status, body[:200]))
            sys.exit(1)
        request_id = headers.get("lambda-runtime-aws-request-id", "")
        _current_request_id = request_id
        if not _logging_installed and "logging" in sys.modules:
            _install_logging()
        trace_id = headers.get("lambda-runtime-trace-id")
        if trace_id:
            os.environ["_X_AMZN_TRACE_ID"] = trace_id
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        path = _BASE + "/invocation/" + request_id
        try:
            event = json.loads(body) if body else {}
        except ValueError as e:
            doc = _error("Runtime.UnmarshalError", "Unable to unmarshal input: %s" % e)
            _report_to_log(doc)
            _post_error(path + "/error", doc)
            continue
        context = LambdaContext(
            request_id, int(headers.get("lambda-runtime-deadline-ms", "0") or 0),
            headers.get("lambda-runtime-invoked-function-arn"),
            _identity(headers.get("lambda-runtime-cognito-identity")),
            _client_context(headers.get("lambda-runtime-client-context")))
        try:
            result = handler(event, context)
        except Exception as e:  # noqa: BLE001 - the handler's failure is the invocation's result
            doc = _error(type(e).__name__, str(e), _user_frames(e.__traceback__))
            _report_to_log(doc)
            _post_error(path + "/error", doc)
            continue
        try:
            payload = json.dumps(result).encode()
        except (TypeError, ValueError) as e:
            doc = _error("Runtime.MarshalError", "Unable to marshal response: %s" % e)
            _report_to_log(doc)
            _post_error(path + "/error", doc)
            continue
        _client.request("POST", path + "/response", payload, {"Content-Type": "application/json"})


