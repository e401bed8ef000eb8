"""A fake OpenAI-compatible chat-completions server for the tests of the judges (nbs/06a_llm_judges.ipynb,
nbs/06_judge.ipynb, tests/test_eval.py).

`FakeChatServer` is a real HTTP server on 127.0.0.1 (a free port), so the client's retries, timeouts, cache and error
paths are tested over real sockets. Its verdicts are deterministic; it can fail, stall or answer off-format, and it
records each request's path, `Authorization` header and body.
"""
import http.server, json, re, threading, time

from girl_nb.judge import jd_parts


class FakeChatServer:
    "An OpenAI-compatible chat-completions server on 127.0.0.1: deterministic verdicts; can fail, stall or answer off-format"
    def __init__(self, mode="prefer", # `prefer` (more JD parts, then longer), `first` (position-biased), `tie`,
                                      # `off_format`, or a callable (jd1, jd2) -> answer
                 fail_first:int=0, fail_status:int=500, # answer the first `fail_first` requests with `fail_status`
                 delay:float=0.0, slow_first:int|None=None, # sleep `delay` s before answering (the first `slow_first`
                                                            # requests only, all when None)
                ):
        self.mode, self.fail_first, self.fail_status, self.delay, self.slow_first = mode, fail_first, fail_status, delay, slow_first
        self.requests, self.n, self.lock, self.httpd = [], 0, threading.Lock(), None

    def answer(self, prompt:str) -> str:
        "The judge's answer to one user message"
        jd = [re.search(rf"\[Assistant {k}\]\n(.*?)\n\[End of Assistant {k}\]", prompt, re.S) for k in (1, 2)]
        j1, j2 = [m.group(1) if m else "" for m in jd]
        if callable(self.mode): return self.mode(j1, j2)
        if self.mode == "off_format": return "Both job descriptions have their merits."
        if self.mode == "first": return "Assistant 1 is more detailed.\nAssistant 1 > Assistant 2"
        if self.mode == "tie": return "They are equally good.\nAssistant 1 = Assistant 2"
        s1, s2 = [(sum(jd_parts(j).values()), len(j)) for j in (j1, j2)]
        verdict = "Assistant 1 = Assistant 2" if s1 == s2 else "Assistant 1 > Assistant 2" if s1 > s2 else "Assistant 2 > Assistant 1"
        return "Comparing detail, relevance and conciseness.\n" + verdict

    def _handler(self):
        srv = self
        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a): pass
            def _send(self, code, obj):
                b = json.dumps(obj).encode()
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(b)))
                    self.end_headers()
                    self.wfile.write(b)
                except (BrokenPipeError, ConnectionResetError): pass  # the client gave up (timeout)
            def do_GET(self):
                if self.path.rstrip("/") == "/v1/models":
                    return self._send(200, dict(object="list", data=[dict(id="fake-judge", object="model")]))
                self._send(404, dict(error=dict(message="not found")))
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                with srv.lock:
                    srv.n += 1
                    k = srv.n
                    srv.requests.append(dict(path=self.path, auth=self.headers.get("Authorization"), body=body))
                if self.path.rstrip("/") != "/v1/chat/completions":
                    return self._send(404, dict(error=dict(message=f"no route {self.path}")))
                if k <= srv.fail_first: return self._send(srv.fail_status, dict(error=dict(message="injected failure")))
                if srv.delay and (srv.slow_first is None or k <= srv.slow_first): time.sleep(srv.delay)
                user = next((m["content"] for m in body.get("messages", []) if m.get("role") == "user"), "")
                msg = dict(role="assistant", content=srv.answer(user))
                self._send(200, dict(id=f"fake-{k}", object="chat.completion", created=0, model=body.get("model"),
                                     choices=[dict(index=0, message=msg, finish_reason="stop")]))
        return H

    @property
    def url(self) -> str: return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def start(self):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda *a: None
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def __enter__(self): return self.start()
    def __exit__(self, *a): self.stop()
