"""Worker entry point, kept apart so that `python -m` never runs worker.py as __main__."""
from glossapi_dagster.pool.worker import main

if __name__ == "__main__":
    main()
