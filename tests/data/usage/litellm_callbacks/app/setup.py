import litellm

litellm.success_callback = ["langfuse"]
