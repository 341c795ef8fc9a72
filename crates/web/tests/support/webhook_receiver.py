"""A partner's webhook receiver for the tests of the partners' feed push.

Verifies every delivery with the `standardwebhooks` package from PyPI (what a partner would use),
answers 400 to one that does not verify (altered body, wrong signature, stale timestamp), 409 to
one whose webhook-id it has accepted before (a replay), and 503 to the first N deliveries to make
the sender retry. Prints its port on the first line of stdout; appends every accepted delivery to
the log file as one JSON line (id, the three webhook headers, the body as text).

Usage: python webhook_receiver.py SECRET LOG_PATH FAIL_FIRST
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

SECRET, LOG_PATH, FAIL_FIRST = sys.argv[1], sys.argv[2], int(sys.argv[3])
MAX_BODY = 1_000_000
hook = Webhook(SECRET)
seen = set()
refused = {"n": 0}


class Receiver(BaseHTTPRequestHandler):
    def reply(self, status):
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_POST(self):
        n = int(self.headers.get("content-length") or "0")
        if n > MAX_BODY:
            return self.reply(413)
        body = self.rfile.read(n)
        headers = {k.lower(): v for k, v in self.headers.items()}
        if refused["n"] < FAIL_FIRST:
            refused["n"] += 1
            return self.reply(503)
        try:
            hook.verify(body, headers)
        except WebhookVerificationError:
            return self.reply(400)
        msg_id = headers.get("webhook-id")
        if msg_id in seen:
            return self.reply(409)
        seen.add(msg_id)
        kept = {k: headers[k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")}
        with open(LOG_PATH, "a", encoding="utf-8") as f:
            f.write(json.dumps({"id": msg_id, "headers": kept, "body": body.decode("utf-8")}) + "\n")
        return self.reply(204)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
print(server.server_address[1], flush=True)
server.serve_forever()
