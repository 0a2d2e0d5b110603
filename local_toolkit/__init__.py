"""The local toolkit: run, invoke, document and feed the API on a developer's machine.

Nothing here ships to Lambda (it lies outside every ``CodeUri``/``ContentUri`` of ``template.yaml``).
It imports the runtime package ``charging_sessions``; the runtime never imports it.
"""
