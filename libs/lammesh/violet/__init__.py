"""The violet team: turns feedback cases into label-keeping variants, trains a small patch for the
watcher, gates it, and publishes it to the model registry. See docs/violet.md.

- `variants`: a case -> many variants with its label (pure, deterministic given a seed);
- `gates`: the publish / refuse decision from measured figures (pure);
- `llm`: optional paraphrases from an OpenAI-compatible endpoint (`LAMMESH_LLM_URL`).
"""
