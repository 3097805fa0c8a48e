"""Fault-injecting fake Autotask and SmileBack API servers (real HTTP on 127.0.0.1) and their dataset."""
