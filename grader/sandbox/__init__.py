"""Layer 2, the sandbox: where the student's code runs (the worker and the fork server that starts it, behind the
isolation the machine allows) and the harness's client that sends it probes and reads plain data back."""
