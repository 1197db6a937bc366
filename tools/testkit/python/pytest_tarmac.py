"""pytest_tarmac: Tarmac for pytest suites.

A pytest plugin that starts `tarmac serve PROJECT --ephemeral` on free ports for the tests, points
the AWS SDKs at it (AWS_ENDPOINT_URL and test credentials in os.environ while it runs) and stops
it afterwards (SIGTERM, then SIGKILL). The `tarmac` fixture is a `Tarmac` object: its URLs, the
control endpoints (settle, reset, snapshots, faults, the dispatcher), deliveries and traces. When
a test that used it fails, the traces recorded during that test (OTLP/JSON) are written to
tarmac-artifacts/<test>.json, with Tarmac's log lines beside them (.log).

Load it with `pytest -p pytest_tarmac` (this folder on PYTHONPATH) or from a root conftest.py:
    pytest_plugins = ["pytest_tarmac"]

Settings (a command-line option wins over the ini file, the ini file over the environment):
    --tarmac-project DIR   ini tarmac_project   env TARMAC_PROJECT   the folder with template.yaml
    --tarmac-bin PATH                           env TARMAC_BIN       else `tarmac` on PATH
    --tarmac-scope SCOPE   ini tarmac_scope     session (default), package, module, class, function
    --tarmac-arg ARG       ini tarmac_args      more `tarmac serve` arguments (repeatable)
    --tarmac-artifacts DIR                      failures' traces go to DIR/tarmac-artifacts/
                                                (default: the rootdir)

Only the standard library and pytest; boto3 for Tarmac.client() when it is installed. The
Tarmac class works without pytest too: `with Tarmac("fixtures/demo") as t: ...`.
docs/testing.md has a worked example; tests/e2e/testkit/pytest_demo is one.
"""
import atexit
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

try:
    import pytest
except ImportError:  # Tarmac used on its own, outside pytest: the decorators below do nothing
    class pytest:  # noqa: N801
        @staticmethod
        def fixture(*args, **kwargs):
            return lambda f: f

        hookimpl = fixture

        class StashKey:
            def __class_getitem__(cls, item):
                return cls

# The line `tarmac serve` prints once every port listens; ide= is absent or "off" without an IDE
# port in some builds, so it is optional here.
READY = re.compile(r"^tarmac ready edge=(http://\S+) api=(http://\S+)(?: ide=(\S+))?")

# The variables the fixture sets for the test process (restored when Tarmac stops).
AWS_TEST_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}

SCOPES = ("session", "package", "module", "class", "function")


class TarmacError(RuntimeError):
    """A control endpoint answered with an error (or Tarmac is not running). `status` is the
    HTTP status (None when there was no answer), `body` the decoded answer."""

    def __init__(self, message, status=None, body=None):
        super().__init__(message)
        self.status = status
        self.body = body


class TarmacEndpointMissing(TarmacError):
    """This tarmac binary has no such endpoint (an older build than the kit)."""


class TarmacNotSettled(AssertionError):
    """POST /_tarmac/settle timed out (408): `busy` lists the work still under way, each a dict
    with kind ("delivery", "held", "async", "queue", "stream", "timer", …), resource (and
    logicalId, the template's name for it), id, since and detail. An AssertionError, so a
    test reports it as a failure rather than an error."""

    def __init__(self, timeout_ms, busy, body=None):
        self.timeout_ms = timeout_ms
        self.busy = list(busy or [])
        self.body = body
        lines = ["  " + " ".join(filter(None, (
                    b.get("kind", "?"), b.get("logicalId") or b.get("resource", "?"),
                    "(%s)" % b["id"] if b.get("id") else "",
                    "since %s" % b["since"] if b.get("since") else "", b.get("detail"))))
                 for b in self.busy]
        super().__init__("Tarmac did not settle within %d ms; still busy:\n%s"
                         % (timeout_ms, "\n".join(lines) or "  (nothing named)"))


def find_binary(explicit=None):
    """The tarmac binary: `explicit`, else $TARMAC_BIN, else `tarmac` on PATH."""
    for candidate, what in ((explicit, "--tarmac-bin"), (os.environ.get("TARMAC_BIN"), "TARMAC_BIN")):
        if candidate:
            path = os.path.abspath(os.path.expanduser(candidate))
            if not (os.path.isfile(path) and os.access(path, os.X_OK)):
                raise TarmacError("%s=%s is not an executable file" % (what, candidate))
            return path
    found = shutil.which("tarmac")
    if not found:
        raise TarmacError("no tarmac binary: set TARMAC_BIN=/path/to/tarmac (or --tarmac-bin) "
                          "or put `tarmac` on PATH")
    return found


_no_ide_flag = {}  # binary → "--no-ide" when its `serve --help` offers it, else None


def _ide_args(binary):
    """No IDE port when the binary can do without one; else any free one."""
    if binary not in _no_ide_flag:
        try:
            r = subprocess.run([binary, "serve", "--help"], capture_output=True, text=True,
                               timeout=30, stdin=subprocess.DEVNULL)
            _no_ide_flag[binary] = "--no-ide" if "--no-ide" in r.stdout + r.stderr else None
        except (OSError, subprocess.SubprocessError):
            _no_ide_flag[binary] = None
    return [_no_ide_flag[binary]] if _no_ide_flag[binary] else ["--ide-port", "0"]


_live = set()  # every started Tarmac, killed at interpreter exit if a teardown never ran


@atexit.register
def _kill_leftovers():
    for t in list(_live):
        t.stop(timeout=2)


class Faults:
    """Fault injection (/_tarmac/faults): `tarmac.faults`."""

    def __init__(self, tarmac):
        self._t = tarmac

    def add(self, match=None, effect=None, **more_match):
        """Adds a fault; returns its id. `match` selects the requests or deliveries (service,
        operation, resource, function, probability, count), keywords add to it; `effect` is
        what happens ({"type": "error", "code": "SlowDown", "status": 503}, latency {ms},
        drop, duplicate, delay {ms}, coldStart, timeout)."""
        if effect is None:
            raise TypeError("faults.add needs an effect, e.g. "
                            "{'type': 'error', 'code': 'SlowDown', 'status': 503}")
        body = {"match": dict(match or {}, **more_match), "effect": effect}
        return self._t.request("POST", "/_tarmac/faults", body)["id"]

    def list(self):
        """The faults in force (each as Tarmac describes it: id, match, effect, …)."""
        return self._t.request("GET", "/_tarmac/faults").get("faults", [])

    def remove(self, fault_id):
        self._t.request("DELETE", "/_tarmac/faults/" + urllib.parse.quote(str(fault_id), safe=""))

    def clear(self):
        """Removes every fault."""
        self._t.request("DELETE", "/_tarmac/faults")

    @contextlib.contextmanager
    def inject(self, match=None, effect=None, **more_match):
        """`with tarmac.faults.inject(match, effect) as fault_id:` the fault holds inside the
        block only (removed at its end unless Tarmac already retired it, count spent)."""
        fault_id = self.add(match, effect, **more_match)
        try:
            yield fault_id
        finally:
            try:
                self.remove(fault_id)
            except TarmacError as e:
                if e.status != 404:
                    raise

    # `with tarmac.faults:` — whatever the block adds is gone at its end.
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.clear()


class Dispatch:
    """The dispatcher's controls (/_tarmac/dispatch): hold deliveries to functions, look at them,
    release or drop them. `tarmac.dispatch`."""

    def __init__(self, tarmac):
        self._t = tarmac

    def state(self):
        """{"paused": bool, "pending": N, "breakpoints": [...]}."""
        return self._t.request("GET", "/_tarmac/dispatch")

    def pause(self):
        """Holds every delivery from now on (until resume)."""
        return self._t.request("POST", "/_tarmac/dispatch/pause")

    def resume(self):
        """Delivers what was held and stops holding."""
        return self._t.request("POST", "/_tarmac/dispatch/resume")

    def pending(self):
        """The held deliveries, oldest first: id, function, logicalId, origin, payload, reason."""
        return self._t.request("GET", "/_tarmac/dispatch/pending")["pending"]

    def wait_pending(self, count=1, timeout=10.0):
        """Waits until at least `count` deliveries are held; returns them."""
        deadline = time.monotonic() + timeout
        while True:
            pending = self.pending()
            if len(pending) >= count or time.monotonic() > deadline:
                if len(pending) < count:
                    raise AssertionError("%d deliveries held after %.0f s, not %d"
                                         % (len(pending), timeout, count))
                return pending
            time.sleep(0.05)

    def deliver(self, delivery_id, payload=None):
        """Releases a held delivery (with `payload` instead of its own when given)."""
        body = {} if payload is None else {"payload": payload}
        return self._t.request("POST", "/_tarmac/dispatch/pending/%s/deliver" % delivery_id, body)

    def drop(self, delivery_id):
        return self._t.request("POST", "/_tarmac/dispatch/pending/%s/drop" % delivery_id)

    def breakpoint(self, function=None, origin=None, path=None, op=None, value=None):
        """Holds deliveries to `function` (logical id or name) from `origin` whose payload
        matches path/op/value; returns the breakpoint's id."""
        body = {k: v for k, v in (("function", function), ("origin", origin), ("path", path),
                                  ("op", op)) if v is not None}
        if value is not None:
            body["value"] = value
        return self._t.request("POST", "/_tarmac/dispatch/breakpoints", body)["id"]

    def breakpoints(self):
        return self._t.request("GET", "/_tarmac/dispatch/breakpoints")["breakpoints"]

    def remove_breakpoint(self, breakpoint_id):
        self._t.request("DELETE", "/_tarmac/dispatch/breakpoints/%s" % breakpoint_id)

    def clear(self):
        """Removes every breakpoint, resumes, and delivers what was held."""
        for bp in self.breakpoints():
            self.remove_breakpoint(bp["id"])
        self.resume()
        for p in self.pending():
            try:
                self.deliver(p["id"])
            except TarmacError as e:
                if e.status != 404:  # delivered meanwhile
                    raise


class Tarmac:
    """One `tarmac serve` process and its endpoints. Usable on its own too:
        with Tarmac("fixtures/demo") as t: ...
    """

    def __init__(self, project=None, binary=None, args=(), env=None, ready_timeout=60.0, cwd=None):
        self.project = os.path.abspath(project) if project else None
        self.binary = binary
        self.args = list(args)
        self.process_env = dict(os.environ, **(env or {}))
        self.ready_timeout = ready_timeout
        self.cwd = cwd
        self.proc = None
        self.edge = self.api = self.ide = None
        self.stdout = []  # tarmac's stdout lines (the ready line, the template's outputs)
        self.stderr = []  # its log: requests, function output, errors
        self.faults = Faults(self)
        self.dispatch = Dispatch(self)

    # -- the process -------------------------------------------------------------------------

    def start(self):
        self.binary = find_binary(self.binary)
        cmd = [self.binary, "serve"]
        if self.project:
            cmd.append(self.project)
        cmd += ["--ephemeral", "--port", "0", "--api-port", "0"] + _ide_args(self.binary) + self.args
        self.command = cmd
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=self.process_env,
                                     cwd=self.cwd, start_new_session=True)
        _live.add(self)
        ready = threading.Event()

        def read_stdout():
            for line in self.proc.stdout:
                self.stdout.append(line.rstrip("\n"))
                m = READY.match(self.stdout[-1])
                if m and not ready.is_set():
                    self.edge, self.api, self.ide = m.groups()
                    ready.set()
            ready.set()  # it exited

        def read_stderr():
            for line in self.proc.stderr:
                self.stderr.append(line.rstrip("\n"))

        threading.Thread(target=read_stdout, daemon=True).start()
        threading.Thread(target=read_stderr, daemon=True).start()
        if not ready.wait(self.ready_timeout) or not self.edge:
            time.sleep(0.2)  # the last lines of stderr
            code = self.stop(timeout=5)
            raise TarmacError("tarmac did not become ready (%s; exit status %s):\n%s"
                              % (" ".join(cmd), code, "\n".join(self.stderr[-30:])))
        return self

    def stop(self, timeout=10.0):
        """SIGTERM, then SIGKILL after `timeout` s; returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass
        _live.discard(self)
        return self.proc.returncode

    @property
    def returncode(self):
        """None while it runs."""
        return self.proc.poll() if self.proc else None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- HTTP --------------------------------------------------------------------------------

    def request(self, method, path, body=None, base=None, timeout=30.0):
        """A control request: `body` sent as JSON; returns the decoded JSON answer ({} when
        empty). Raises TarmacError for an error status, TarmacEndpointMissing for an endpoint
        this binary does not have."""
        data = json.dumps(body).encode() if body is not None else (None if method == "GET" else b"")
        req = urllib.request.Request((base or self.edge) + path, data=data, method=method)
        if body is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return _decode(r.read())
        except urllib.error.HTTPError as e:
            answer = _decode(e.read())
            message = answer.get("message") if isinstance(answer, dict) else None
            if e.code == 404 and message == "No such Tarmac endpoint":
                raise TarmacEndpointMissing(
                    "%s %s: this tarmac (%s) has no such endpoint; it needs a newer build"
                    % (method, path, self.binary), 404, answer) from None
            raise TarmacError("%s %s: HTTP %d %s" % (method, path, e.code, message or answer),
                              e.code, answer) from None
        except (urllib.error.URLError, ConnectionError) as e:
            if self.returncode is not None:
                raise TarmacError("%s %s: tarmac has exited (status %s); its last lines:\n%s"
                                  % (method, path, self.returncode, "\n".join(self.stderr[-20:]))) from None
            raise TarmacError("%s %s: %s" % (method, path, e)) from None

    def api_request(self, method, path, body=None, headers=None, timeout=30.0):
        """An HTTP request to the application's API port (API Gateway routes): returns
        (status, headers, body bytes) whatever the status."""
        if isinstance(body, str):
            body = body.encode()
        req = urllib.request.Request(self.api + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    # -- the engine ----------------------------------------------------------------------------

    def health(self):
        """GET /_tarmac/health: services, state folder, the template's resources and outputs."""
        return self.request("GET", "/_tarmac/health")

    def outputs(self):
        """The template's Outputs, resolved."""
        return self.health().get("template", {}).get("outputs", {})

    def clock(self):
        """GET /_tarmac/clock: {"now", "nowMs", "frozen"}."""
        return self.request("GET", "/_tarmac/clock")

    def now_ns(self):
        """Tarmac's clock now, in ns since the epoch: pass it as since_ns= to deliveries() and
        traces() to see only what came after."""
        return int(self.clock()["nowMs"]) * 1_000_000

    def settle(self, timeout_ms=10_000):
        """Waits until Tarmac has nothing asynchronous left to do (deliveries running or held,
        invocations queued, records a mapping will deliver, due timers); returns
        {"settled": True, "waitedMs", "waitedFor"}. Raises TarmacNotSettled naming what is
        still busy after `timeout_ms`."""
        try:
            return self.request("POST", "/_tarmac/settle", {"timeoutMs": int(timeout_ms)},
                                timeout=timeout_ms / 1000 + 30)
        except TarmacError as e:
            if e.status == 408 and isinstance(e.body, dict):
                raise TarmacNotSettled(timeout_ms, e.body.get("busy"), e.body) from None
            raise

    def reset(self, traces=False):
        """Clears every service's state and applies the template again (traces kept unless
        traces=True)."""
        return self.request("POST", "/_tarmac/reset", {"traces": bool(traces)})

    def snapshot(self, name):
        """Saves the whole state under `name` (replacing one of that name): 1 to 64 letters,
        digits, '.', '_' or '-', starting with a letter or digit."""
        return self.request("POST", "/_tarmac/snapshots/" + _segment(name))

    def restore(self, name):
        """Puts the state back as snapshot `name` saved it."""
        return self.request("POST", "/_tarmac/snapshots/%s/restore" % _segment(name))

    def snapshots(self):
        """The saved snapshots' names."""
        return [s["name"] for s in self.request("GET", "/_tarmac/snapshots").get("snapshots", [])]

    def delete_snapshot(self, name):
        self.request("DELETE", "/_tarmac/snapshots/" + _segment(name))

    def deliveries(self, function=None, since_ns=None, limit=None, bodies=False):
        """The dispatcher's delivery records, newest first (id, function, logicalId, origin,
        status, traceId, submittedNs, durationNs, errorType, …; payload and result with
        bodies=True). `function` is a logical id or a name; `since_ns` keeps those submitted
        from then on (see now_ns)."""
        query = {}
        if function:
            query["function"] = function
        if limit:
            query["limit"] = str(limit)
        if bodies:
            query["bodies"] = "1"
        path = "/_tarmac/dispatch/deliveries" + ("?" + urllib.parse.urlencode(query) if query else "")
        records = self.request("GET", path)["deliveries"]
        if since_ns is not None:
            records = [r for r in records if int(r.get("submittedNs", 0)) >= since_ns]
        return records

    def traces(self, trace_id=None, since_ns=None):
        """The stored traces and logs as one OTLP/JSON document ({"resourceSpans",
        "resourceLogs"}): one trace with `trace_id`; with `since_ns`, the traces begun from then
        on (see otlp_since)."""
        path = "/_tarmac/traces" + ("?trace=" + trace_id if trace_id else "")
        doc = self.request("GET", path)
        return otlp_since(doc, since_ns) if since_ns is not None else doc

    def spans(self, trace_id=None, since_ns=None):
        """traces() flattened: a list of spans, each with "service" (its resource's
        service.name) and "attrs" (its attributes as a plain dict) added."""
        out = []
        for rs in self.traces(trace_id, since_ns).get("resourceSpans", []):
            service = _attrs(rs.get("resource", {}).get("attributes", [])).get("service.name")
            for ss in rs.get("scopeSpans", []):
                for s in ss.get("spans", []):
                    out.append(dict(s, service=service, attrs=_attrs(s.get("attributes", []))))
        return out

    # -- clients ----------------------------------------------------------------------------------

    @property
    def env(self):
        """Environment variables pointing an AWS SDK or the aws CLI at this Tarmac."""
        return dict(AWS_TEST_CREDENTIALS, AWS_ENDPOINT_URL=self.edge)

    def client(self, service, config=None, **kwargs):
        """A boto3 client for `service` at the edge port, test credentials, us-east-1.
        `config` is a botocore.config.Config (or a dict of its arguments)."""
        try:
            import boto3
            import botocore.config
        except ImportError:
            raise TarmacError("Tarmac.client needs boto3 (pip install boto3)") from None
        if isinstance(config, dict):
            config = botocore.config.Config(**config)
        args = dict(endpoint_url=self.edge, region_name="us-east-1", aws_access_key_id="test",
                    aws_secret_access_key="test", config=config)
        args.update(kwargs)
        return boto3.client(service, **args)

    def wait_for_log(self, text, timeout=10.0, since_line=0):
        """Waits until a log line (stderr) from `since_line` on contains `text`; returns it.
        The log is read as Tarmac writes it, so a line can arrive a moment after the
        delivery that printed it is recorded. Raises AssertionError after `timeout` s."""
        deadline = time.monotonic() + timeout
        seen = since_line
        while True:
            lines = self.stderr[seen:]
            for line in lines:
                if text in line:
                    return line
            seen += len(lines)
            if time.monotonic() >= deadline:
                raise AssertionError("no log line with %r in %.1f s; last lines:\n%s"
                                     % (text, timeout, "\n".join(self.stderr[-20:])))
            time.sleep(0.02)

    # -- failure artifacts -------------------------------------------------------------------------

    def mark(self):
        """Where a test starts: (Tarmac's clock in ns, the number of log lines so far)."""
        try:
            return self.now_ns(), len(self.stderr)
        except TarmacError:
            return 0, len(self.stderr)

    def write_artifacts(self, path_stem, mark=(0, 0)):
        """Writes PATH_STEM.json (the traces since `mark`, OTLP/JSON) and PATH_STEM.log (the log
        lines since it); returns the .json path."""
        since_ns, first_line = mark
        os.makedirs(os.path.dirname(path_stem) or ".", exist_ok=True)
        doc = self.traces()
        recent = otlp_since(doc, since_ns) if since_ns else doc
        if since_ns and not recent.get("resourceSpans") and not recent.get("resourceLogs"):
            recent = doc  # a clock moved back by the test: all of it rather than nothing
        with open(path_stem + ".json", "w") as f:
            json.dump(recent, f, indent=1)
        with open(path_stem + ".log", "w") as f:
            f.write("\n".join(self.stderr[first_line:]) + "\n")
        return path_stem + ".json"


def _decode(raw):
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        return {"text": raw.decode("utf-8", "replace")}


def _segment(name):
    return urllib.parse.quote(str(name), safe="")


def _attrs(attributes):
    """OTLP attributes ([{"key", "value": {"stringValue": …}}]) as a dict."""
    out = {}
    for a in attributes:
        value = a.get("value", {})
        out[a.get("key")] = next(iter(value.values()), None) if value else None
    return out


def otlp_since(doc, since_ns):
    """The part of an OTLP/JSON document about the traces begun from `since_ns` on (whole
    traces whose first span starts then or later: a trace still running from before is left
    out), and the log lines of those traces or written since without one."""
    since_ns = int(since_ns or 0)
    first = {}  # trace id → its earliest span's start
    for rs in doc.get("resourceSpans", []):
        for ss in rs.get("scopeSpans", []):
            for s in ss.get("spans", []):
                start = int(s.get("startTimeUnixNano", 0))
                first[s.get("traceId")] = min(start, first.get(s.get("traceId"), start))
    recent = {trace for trace, start in first.items() if start >= since_ns}
    for rl in doc.get("resourceLogs", []):
        for sl in rl.get("scopeLogs", []):
            for rec in sl.get("logRecords", []):
                trace = rec.get("traceId")
                if trace and trace not in first and int(rec.get("timeUnixNano", 0)) >= since_ns:
                    recent.add(trace)  # a trace with lines but no span stored yet

    def keep_spans(rs):
        scopes = [dict(ss, spans=[s for s in ss.get("spans", []) if s.get("traceId") in recent])
                  for ss in rs.get("scopeSpans", [])]
        return dict(rs, scopeSpans=[ss for ss in scopes if ss["spans"]])

    def keep_logs(rl):
        scopes = [dict(sl, logRecords=[r for r in sl.get("logRecords", [])
                                       if r.get("traceId") in recent or (
                                           not r.get("traceId")
                                           and int(r.get("timeUnixNano", 0)) >= since_ns)])
                  for sl in rl.get("scopeLogs", [])]
        return dict(rl, scopeLogs=[sl for sl in scopes if sl["logRecords"]])

    spans = [keep_spans(rs) for rs in doc.get("resourceSpans", [])]
    logs = [keep_logs(rl) for rl in doc.get("resourceLogs", [])]
    return {"resourceSpans": [rs for rs in spans if rs["scopeSpans"]],
            "resourceLogs": [rl for rl in logs if rl["scopeLogs"]]}


class _EnvPatch:
    """Sets variables in os.environ; restore() puts back what was there (or its absence)."""

    def __init__(self, values):
        self.values = values
        self.saved = {}

    def apply(self):
        for k, v in self.values.items():
            self.saved[k] = os.environ.get(k)
            os.environ[k] = v

    def restore(self):
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# -- pytest ------------------------------------------------------------------------------------

def pytest_addoption(parser):
    group = parser.getgroup("tarmac", "Tarmac (local AWS serverless emulator)")
    group.addoption("--tarmac-project", default=None,
                    help="project folder (template.yaml) for the tarmac fixture; "
                         "ini tarmac_project, env TARMAC_PROJECT")
    group.addoption("--tarmac-bin", default=None, help="the tarmac binary (env TARMAC_BIN, else PATH)")
    group.addoption("--tarmac-scope", default=None, choices=SCOPES,
                    help="the tarmac fixture's scope (default session; ini tarmac_scope)")
    group.addoption("--tarmac-arg", action="append", default=[],
                    help="another `tarmac serve` argument (repeatable; ini tarmac_args)")
    group.addoption("--tarmac-artifacts", default=None,
                    help="failed tests' traces go to DIR/tarmac-artifacts/ (default: the rootdir)")
    parser.addini("tarmac_project", "project folder for the tarmac fixture, relative to the ini file")
    parser.addini("tarmac_scope", "the tarmac fixture's scope (session, package, module, class, function)")
    parser.addini("tarmac_args", "more `tarmac serve` arguments", type="args")


def pytest_configure(config):
    config.addinivalue_line("markers", "tarmac_args(*args): more `tarmac serve` arguments for the "
                                       "Tarmac tarmac_factory starts in this test")


def tarmac_scope(fixture_name, config):
    """The tarmac fixture's scope: --tarmac-scope, ini tarmac_scope, else session. Use it for
    fixtures of your own that depend on `tarmac`: @pytest.fixture(scope=tarmac_scope)."""
    scope = config.getoption("tarmac_scope") or config.getini("tarmac_scope") or "session"
    if scope not in SCOPES:
        raise pytest.UsageError("tarmac_scope is one of %s, not %r" % (", ".join(SCOPES), scope))
    return scope


def _project(config):
    if config.getoption("tarmac_project"):
        return os.path.abspath(config.getoption("tarmac_project"))
    ini = config.getini("tarmac_project")
    if ini:
        base = os.path.dirname(str(config.inipath)) if config.inipath else str(config.rootpath)
        return os.path.normpath(os.path.join(base, ini))
    return os.environ.get("TARMAC_PROJECT") or None


def _serve_args(config):
    return list(config.getini("tarmac_args") or []) + list(config.getoption("tarmac_arg") or [])


def _start(config, project=None, args=()):
    t = Tarmac(project=project if project is not None else _project(config),
               binary=config.getoption("tarmac_bin"), args=_serve_args(config) + list(args))
    try:
        return t.start()
    except TarmacError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope=tarmac_scope)
def tarmac(request):
    """A running Tarmac with the project; AWS_* variables point at it while it runs."""
    t = _start(request.config)
    env = _EnvPatch(t.env)
    env.apply()
    try:
        yield t
    finally:
        env.restore()
        t.stop()


class TarmacFactory:
    """`tarmac_factory.start(project=None, args=())`: Tarmacs of a test's own (another project,
    other flags such as --exit-on-function-error), stopped when the test ends. They do not
    touch os.environ: use their .env or .client()."""

    def __init__(self, config, marker_args):
        self.config = config
        self.marker_args = marker_args
        self.instances = []

    def start(self, project=None, args=()):
        t = _start(self.config, project, list(self.marker_args) + list(args))
        self.instances.append(t)
        return t

    def stop_all(self):
        for t in self.instances:
            t.stop()


@pytest.fixture
def tarmac_factory(request):
    marker = request.node.get_closest_marker("tarmac_args")
    factory = TarmacFactory(request.config, marker.args if marker else ())
    yield factory
    factory.stop_all()


# Where each running Tarmac was when a test started, so that its failure report holds that
# test's traces only.
_MARKS = pytest.StashKey[dict]()


def _instances(item):
    """The Tarmacs a test used: the `tarmac` fixture, tarmac_factory's, any other fixture
    returning a Tarmac."""
    found = []
    for value in getattr(item, "funcargs", {}).values():
        if isinstance(value, Tarmac):
            found.append(value)
        elif isinstance(value, TarmacFactory):
            found.extend(value.instances)
    return list(dict.fromkeys(found))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    item.stash[_MARKS] = {id(t): t.mark() for t in list(_live) if t.returncode is None}
    yield


def _artifact_dir(config):
    base = config.getoption("tarmac_artifacts") or str(config.rootpath)
    return os.path.join(base, "tarmac-artifacts")


def _stem(nodeid):
    return re.sub(r"[^A-Za-z0-9._-]+", "_", nodeid).strip("_")[:180] or "test"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.failed or report.when not in ("setup", "call"):
        return
    marks = item.stash.get(_MARKS, {})
    for n, t in enumerate(_instances(item)):
        if t.edge is None:
            continue
        stem = os.path.join(_artifact_dir(item.config), _stem(item.nodeid) + ("-%d" % n if n else ""))
        try:
            path = t.write_artifacts(stem, marks.get(id(t), (0, 0)))
            note = "traces (OTLP/JSON): %s\nlog: %s.log" % (path, stem)
        except (TarmacError, OSError) as e:
            note = "could not write the traces: %s" % e
        first_line = marks.get(id(t), (0, 0))[1]
        tail = t.stderr[first_line:][-40:]
        report.sections.append(("tarmac", note + ("\nlast log lines:\n" + "\n".join(tail) if tail else "")))
