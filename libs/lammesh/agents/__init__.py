"""Building blocks the specialist agents share (pure, no I/O): transcript parsing, sentence
splitting, due-date resolution, a multinomial logistic head over sentence embeddings, and the
optional OpenAI-compatible LLM client (`LAMMESH_LLM_URL`)."""
