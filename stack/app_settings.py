"""backend/app/settings.py on its own (the standard library only, without Flask), loaded the way
gunicorn.conf.py loads it: the runner checks settings with the API's own parsers and defaults."""

import importlib.util
import sys
from pathlib import Path

PATH = Path(__file__).resolve().parent.parent / "backend" / "app" / "settings.py"


def load():
    name = "_stack_app_settings"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, PATH)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
