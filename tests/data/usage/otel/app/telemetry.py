from opentelemetry.instrumentation.openai import OpenAIInstrumentor


def setup_tracing() -> None:
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument()
