import openlit

from app.work import run

openlit.init(otlp_endpoint="http://127.0.0.1:4318")
run()
