"""`python -m evofolio` runs the command-line interface."""

from evofolio.cli import main

if __name__ == "__main__":
    main()
