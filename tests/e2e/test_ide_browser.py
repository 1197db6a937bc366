"""The IDE's browser console (/_tarmac/ide/) in headless Chromium, driven over the Chrome
DevTools Protocol: it connects with the token from its address, lists the resources, tails the
logs and spans, and holds, edits, delivers and drops deliveries through the stepper.

Chromium speaks CDP on a WebSocket; js/cdp-bridge.js (the `ws` package) carries it for Python.
The page's files are the ones built into tarmac, unless $TARMAC_IDE_WEB_DIR is set in the
environment (the harness passes the environment on), which serves them from a folder."""
import base64
import itertools
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

from harness import JS_DIR, Tarmac, boto3_client
from lambda_support import wait_for

CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"),
                             shutil.which("google-chrome")) if p), None)
# Where the console's screenshot goes: $TARMAC_SCREENSHOT_DIR (docs/screenshots refreshes the
# one the docs show), else the temporary folder, so that a test run leaves the tree clean.
SCREENSHOT = os.path.join(os.environ.get("TARMAC_SCREENSHOT_DIR") or tempfile.gettempdir(),
                          "ide-console.png")

# One function that echoes its event (and logs it: "EVENT {json}"), run nightly by a rule.
PROJECT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates", "ide-echo")


# What the page shows, for a failure's message.
PAGE_STATE = """(() => {
  const t = (s) => (document.querySelector(s) || {}).textContent;
  return JSON.stringify({status: t('#status'), notice: t('#notice'), dispatch: t('#dispatch-state'),
    result: t('#invoke-result'), pending: t('#pending'), logs: (t('#logs') || '').slice(-1500)});
})()"""


def log_shown(text):
    """A JavaScript test: is a line with `text` in the page's log tail?"""
    return ("[...document.querySelectorAll('#logs .log-line')].some("
            "r => r.textContent.includes(%s))" % json.dumps(text))


class Browser:
    """Headless Chromium and a CDP connection to it (through js/cdp-bridge.js)."""

    def __init__(self):
        self.profile = tempfile.TemporaryDirectory(prefix="tarmac-chromium-")
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--remote-debugging-port=0",
             "--user-data-dir=" + self.profile.name, "--no-sandbox", "--disable-gpu",
             "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-background-networking", "--disable-sync",
             "--window-size=1280,900", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True, start_new_session=True)
        self.stderr = []
        found = queue.Queue()

        def drain():
            for line in self.proc.stderr:
                self.stderr.append(line.rstrip("\n"))
                m = re.search(r"DevTools listening on (ws://\S+)", line)
                if m:
                    found.put(m.group(1))
            found.put(None)
        threading.Thread(target=drain, daemon=True).start()
        try:
            url = found.get(timeout=20)
        except queue.Empty:
            url = None
        if not url:
            self.close()
            raise RuntimeError("chromium did not start:\n" + "\n".join(self.stderr[-30:]))
        self.bridge = subprocess.Popen(["node", "cdp-bridge.js", url], cwd=JS_DIR,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True, bufsize=1)
        self.ids = itertools.count(1)
        self.answers = {}
        self.events = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        with self.cond:
            if not self.cond.wait_for(lambda: "open" in self.answers or self.bridge.poll()
                                      is not None, timeout=15) or "open" not in self.answers:
                err = self.bridge.stderr.read() if self.bridge.poll() is not None else ""
                self.close()
                raise RuntimeError("the CDP bridge did not connect: " + err)

    def _read(self):
        for line in self.bridge.stdout:
            msg = json.loads(line)
            with self.cond:
                if msg.get("bridge") == "open":
                    self.answers["open"] = True
                elif "id" in msg:
                    self.answers[msg["id"]] = msg
                else:
                    self.events.append(msg)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def send(self, method, params=None, session=None, timeout=30):
        id_ = next(self.ids)
        msg = {"id": id_, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.bridge.stdin.write(json.dumps(msg) + "\n")
        self.bridge.stdin.flush()
        with self.cond:
            if not self.cond.wait_for(lambda: id_ in self.answers or self.bridge.poll()
                                      is not None, timeout=timeout) or id_ not in self.answers:
                raise RuntimeError("no answer to %s" % method)
            answer = self.answers.pop(id_)
        if "error" in answer:
            raise RuntimeError("%s: %s" % (method, answer["error"]))
        return answer["result"]

    def new_page(self, width=1280, height=900):
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target,
                                                      "flatten": True})["sessionId"]
        page = Page(self, session)
        for domain in ("Page", "Runtime", "Log"):
            page.send(domain + ".enable")
        page.send("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        return page

    def close(self):
        bridge = getattr(self, "bridge", None)
        if bridge and bridge.poll() is None:
            bridge.stdin.close()
            try:
                bridge.wait(5)
            except subprocess.TimeoutExpired:
                bridge.kill()
                bridge.wait()
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.profile.cleanup()


class Page:
    def __init__(self, browser, session):
        self.browser = browser
        self.session = session

    def send(self, method, params=None, timeout=30):
        return self.browser.send(method, params, session=self.session, timeout=timeout)

    def js(self, expression):
        """The value of a JavaScript expression in the page (awaited when a promise)."""
        r = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                           "returnByValue": True})
        if "exceptionDetails" in r:
            raise AssertionError("%s: %s" % (expression, r["exceptionDetails"]))
        return r["result"].get("value")

    def wait(self, expression, what, timeout=15):
        try:
            return wait_for(lambda: self.js(expression), timeout=timeout, interval=0.1,
                            what=what)
        except AssertionError as e:
            try:
                shown = self.js(PAGE_STATE)
            except (AssertionError, RuntimeError) as error:
                shown = error
            raise AssertionError("%s\npage: %s\nconsole: %s" % (e, shown, self.console())) \
                from None

    def console(self):
        return [e["params"] for e in self.browser.events
                if e.get("sessionId") == self.session and e["method"] in (
                    "Runtime.exceptionThrown", "Log.entryAdded", "Runtime.consoleAPICalled")]

    def navigate(self, url):
        self.send("Page.navigate", {"url": url})
        self.wait("document.readyState === 'complete' && !!document.getElementById('status')",
                  "the page to load")

    def text(self, selector):
        return self.js("(document.querySelector(%s) || {}).textContent" % json.dumps(selector))

    def click(self, selector):
        self.wait("(() => { const e = document.querySelector(%s); "
                  "if (!e || e.disabled) return false; e.click(); return true; })()"
                  % json.dumps(selector), "a button to click: " + selector)

    def type_into(self, selector, text):
        """Replaces a field's text as typing would (focus, select all, insert)."""
        self.wait("(() => { const e = document.querySelector(%s); if (!e) return false; "
                  "e.focus(); e.select(); return true; })()" % json.dumps(selector),
                  "a field: " + selector)
        self.send("Input.insertText", {"text": text})

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.browser.send("Target.closeTarget", {"targetId": self.send(
                "Target.getTargetInfo")["targetInfo"]["targetId"]})
        except RuntimeError:
            pass


@unittest.skipUnless(CHROMIUM, "chromium is not installed")
class IdeBrowserConsole(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = Tarmac(project=PROJECT).start()
        try:
            cls.browser = Browser()
        except Exception:
            cls.t.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.t.stop()

    def console_url(self):
        """The address `tarmac serve` prints, with the token in its fragment."""
        line = wait_for(lambda: next((l for l in self.t.stderr_lines if "IDE console" in l),
                                     None), timeout=5, what="the console's address")
        url = re.search(r"IDE console (http://\S+)", line).group(1)
        self.assertTrue(url.startswith(self.t.edge + "/_tarmac/ide/#token="), url)
        return url

    def open_page(self):
        page = self.browser.new_page()
        self.addCleanup(page.close)
        return page

    def test_console_flow(self):
        page = self.open_page()
        page.navigate(self.console_url())
        page.wait("document.querySelector('#status').textContent === 'connected'",
                  "the console to connect")
        # The token left the address bar; the tab keeps it.
        self.assertEqual(page.js("location.hash"), "")
        self.assertEqual(page.js("sessionStorage.getItem('tarmac.ide.token')"),
                         open(os.path.join(self.t.state, "ide-token")).read().strip())
        # The header: Tarmac's version and the project's folder.
        page.wait("document.querySelector('#info').textContent.endsWith(' · ide-echo')",
                  "the project in the header")
        self.assertRegex(page.text("#info"), r"^v\d")

        # Resources, grouped by kind; a function has an Invoke button.
        page.wait("!!document.querySelector('#resources details[data-kind=function] "
                  "li.resource[data-logical-id=Echo] button.invoke')", "the function")
        page.wait("!!document.querySelector('#resources details[data-kind=rule] "
                  "li.resource')", "the function's schedule")

        # Invoke from the page: the answer, the function's logs in the tail, its span.
        page.click("li.resource[data-logical-id=Echo] button.invoke")
        self.assertEqual(page.text("#invoke-function"), "Echo")
        page.type_into("#invoke-payload", '{"hello": "browser"}')
        page.click("#invoke-send")
        page.wait("document.querySelector('#invoke-result').dataset.state === 'done'",
                  "the invocation's answer")
        self.assertEqual(json.loads(page.text("#invoke-result pre.result-payload")),
                         {"echo": {"hello": "browser"}})
        page.wait(log_shown('EVENT {"hello": "browser"}'), "the function's log line")
        # Each line: time, level, source (the function by its logical id), text.
        line = page.js("[...[...document.querySelectorAll('#logs .log-line')].find(r => "
                       "r.textContent.includes('EVENT {\"hello')).children].map(c => c.textContent)")
        self.assertRegex(line[0], r"^\d\d:\d\d:\d\d\.\d{3}$")
        self.assertEqual(line[1:], ["INFO", "Echo", 'EVENT {"hello": "browser"}'])
        page.wait("[...document.querySelectorAll('#spans .span-row')].some(r => "
                  "r.dataset.status !== 'error' && "
                  "r.querySelector('.span-name').textContent === 'Echo invoke')",
                  "the invocation's span")

        # Paused, an invocation is held: its payload is edited in the page and delivered;
        # the function answers with the edited event.
        page.click("#pause")
        page.wait("document.querySelector('#dispatch-state').textContent === 'paused'",
                  "the dispatcher to pause")
        page.type_into("#invoke-payload", '{"n": 1}')
        page.click("#invoke-send")
        page.wait("document.querySelectorAll('#pending .pending-item').length === 1",
                  "the held delivery")
        self.assertEqual(page.js("document.querySelector('#invoke-result').dataset.state"),
                         "waiting")
        self.assertEqual(json.loads(page.js(
            "document.querySelector('.pending-item textarea.payload').value")), {"n": 1})
        page.type_into(".pending-item textarea.payload", '{"n": 2, "edited": "in the browser"}')
        self.assertFalse(page.js("document.querySelector('.pending-item .edited').hidden"))
        page.click(".pending-item button.deliver")
        page.wait("document.querySelector('#invoke-result').dataset.state === 'done'",
                  "the edited delivery's answer")
        self.assertEqual(json.loads(page.text("#invoke-result pre.result-payload")),
                         {"echo": {"n": 2, "edited": "in the browser"}})
        page.wait(log_shown('EVENT {"edited": "in the browser", "n": 2}'),
                  "the edited event in the logs")
        page.wait("document.querySelectorAll('#pending .pending-item').length === 0",
                  "the pending list to empty")
        self.assertFalse(page.js(log_shown('EVENT {"n": 1}')))

        # A delivery from outside (the AWS SDK) is held too, and shown; then dropped.
        physical = page.js("document.querySelector('li.resource[data-logical-id=Echo]')"
                           ".dataset.name")
        lam = boto3_client(self.t, "lambda")
        self.assertEqual(lam.invoke(FunctionName=physical, InvocationType="Event",
                                    Payload=json.dumps({"n": 3}))["StatusCode"], 202)
        page.wait("document.querySelectorAll('#pending .pending-item').length === 1",
                  "the SDK's held delivery")
        self.assertEqual(json.loads(page.js(
            "document.querySelector('.pending-item textarea.payload').value")), {"n": 3})
        self.assertTrue(page.js("document.querySelector('#missed').hidden"))
        page.js("document.activeElement && document.activeElement.blur()")
        page.screenshot(SCREENSHOT)
        page.click(".pending-item button.drop")
        page.wait("document.querySelectorAll('#pending .pending-item').length === 0",
                  "the dropped delivery to go")
        page.click("#resume")
        page.wait("document.querySelector('#dispatch-state').textContent === 'running'",
                  "the dispatcher to run")
        time.sleep(0.5)
        self.assertFalse(page.js(log_shown('EVENT {"n": 3}')))
        self.assertEqual([c for c in page.console() if "exceptionDetails" in c], [])

    def test_table_search(self):
        """A table's search form (from its catalog entry's fields) runs a Query in the page;
        DynamoDB's refusal is shown; "all" lists every item again."""
        ddb = boto3_client(self.t, "dynamodb")
        ddb.create_table(TableName="console-notes", BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                               {"AttributeName": "sk", "AttributeType": "N"}],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                    {"AttributeName": "sk", "KeyType": "RANGE"}])
        for i in range(6):
            ddb.put_item(TableName="console-notes", Item={
                "pk": {"S": "a" if i < 4 else "b"}, "sk": {"N": str(i)}, "text": {"S": "n%d" % i}})
        page = self.open_page()
        page.navigate(self.console_url())
        node = "li.resource[data-name=console-notes]"
        page.click(node + " button[data-action=browse]")
        page.wait("document.querySelectorAll('%s ul.browse li').length === 6" % node,
                  "the table's items")
        page.js("(() => { const s = document.querySelector('%s form.search "
                "select[name=operation]'); s.value = 'Query'; "
                "s.dispatchEvent(new Event('input')); })()" % node)
        page.type_into(node + " form.search input[name=key]", "#pk = :p AND #sk >= :min")
        page.type_into(node + " form.search input[name=values]", '{":p": "a", ":min": 2}')
        page.click(node + " form.search button[type=submit]")
        page.wait("document.querySelectorAll('%s ul.browse li').length === 2" % node,
                  "the Query's matches")
        self.assertEqual(page.js("[...document.querySelectorAll('%s ul.browse .item-detail')]"
                                 ".map(e => e.textContent)" % node), ['text: "n2"', 'text: "n3"'])
        # The form keeps what was typed across the list's redraw.
        self.assertEqual(page.js("document.querySelector('%s form.search input[name=key]').value"
                                 % node), "#pk = :p AND #sk >= :min")
        page.type_into(node + " form.search input[name=values]", '{":p": "a"}')
        page.click(node + " form.search button[type=submit]")
        page.wait("(document.querySelector('%s .error') || {}).textContent"
                  "?.includes('attribute value: :min')" % node, "DynamoDB's message")
        page.click(node + " form.search button.all")
        page.wait("document.querySelectorAll('%s ul.browse li').length === 6" % node,
                  "every item again")
        self.assertEqual([c for c in page.console() if "exceptionDetails" in c], [])

    def test_action_with_fields(self):
        """A route's "send request" asks for its fields in the page; what is typed is sent."""
        page = self.open_page()
        page.navigate(self.console_url())
        node = "li.resource[data-kind=route]"
        page.click(node + " button[data-action='send request']")
        page.wait("!!document.querySelector('%s form.action-form textarea[name=body]')" % node,
                  "the action's fields")
        self.assertEqual(page.js("document.querySelector('%s form.action-form input[name=path]')"
                                 ".value" % node), "/echo")
        page.type_into(node + " form.action-form textarea[name=body]", '{"from": "the page"}')
        page.click(node + " form.action-form button[type=submit]")
        page.wait("!document.querySelector('%s form.action-form')" % node, "the form to close")
        # The function logs the event it got (the answer's excerpt in the log is its first
        # 200 bytes, where the event's body need not be).
        wait_for(lambda: any("POST" in line and "/echo answered 200" in line
                             for line in self.t.stderr_lines),
                 timeout=30, what="the request's answer (a cold function, on a busy machine)")
        wait_for(lambda: any("EVENT" in line and '"routeKey": "POST /echo"' in line
                             and "the page" in line for line in self.t.stderr_lines),
                 timeout=10, what="the function's log of the event with the typed body")
        self.assertEqual([c for c in page.console() if "exceptionDetails" in c], [])

    def test_wrong_token_is_refused(self):
        page = self.open_page()
        right = self.console_url()
        page.navigate(right.split("#")[0] + "#token=" + "0" * 32)
        page.wait("document.querySelector('#status').textContent === 'refused'",
                  "the console to be refused")
        self.assertFalse(page.js("document.querySelector('#connect').hidden"))
        self.assertIn("refused", page.text("#connect-message"))
        self.assertEqual(page.js("document.querySelectorAll('#resources li.resource').length"),
                         0)
        # Pasting the right token connects.
        page.type_into("#token-input", right.split("#token=")[1])
        page.click("#token-submit")
        page.wait("document.querySelector('#status').textContent === 'connected'",
                  "the console to connect with the pasted token")
        self.assertTrue(page.js("document.querySelector('#connect').hidden"))
        page.wait("!!document.querySelector('li.resource[data-logical-id=Echo]')",
                  "the resources")


if __name__ == "__main__":
    unittest.main()
