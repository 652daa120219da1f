from traceloop.sdk import Traceloop

Traceloop.init(app_name="support-bot", disable_batch=True)
