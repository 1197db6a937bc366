# Tarmac's Python runtime entry point (see _tarmac_lambda_runtime.py).
import _tarmac_lambda_runtime
_tarmac_lambda_runtime.main()
