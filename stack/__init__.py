"""Runs the stack: with Docker when an engine answers, natively otherwise.

Both ways read the same settings (the environment over `.env`), render the same nginx template
and start gunicorn with the same gunicorn.conf.py. `python -m stack --help` lists the commands;
the Makefile's targets call them.
"""
