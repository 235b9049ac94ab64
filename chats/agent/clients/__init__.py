"""External systems of the agent: OpenAI chat models (through LangChain) and Whisper transcription."""
