"""``python -m openamr`` runs the ``openamr`` command."""

from openamr.cli import main

if __name__ == "__main__":
    main()
