import logfire

logfire.configure(service_name="support")
logfire.instrument_openai()
logfire.instrument_anthropic()
