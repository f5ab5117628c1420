"""The command line as a file: ``python -m harborwatch ...``, and the application file that
``spark-submit`` needs (a Python application must be a ``.py`` file; the ``harborwatch`` console
script is not, so ``spark-submit`` would take it for a JAR)."""

from harborwatch.cli.main import main

if __name__ == "__main__":
    main()
