"""CRPL data synthesis (`recode synth`): prompts, call cache, parsers, pipeline, pairs.

Modules: `prompts` (shipped templates, user overrides), `cache` (resumable on-disk call
cache), `parse` (tolerant parsers with counted drop reasons), `stats`, `pairs` (pair
types, split by problem), `pipeline` (the stages in order), `config`, `cli`.
"""
