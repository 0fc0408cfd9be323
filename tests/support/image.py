"""The nginx image's start-up, reproduced without Docker: source the derivation script and run
envsubst with the NGINX_* list over the templates, as the official image's entrypoint does;
then check the result with the system's nginx."""

import os
import subprocess

from stack.env import ROOT

TEMPLATE = ROOT / "nginx" / "templates" / "default.conf.template"
DERIVE = ROOT / "nginx" / "docker-entrypoint.d" / "15-derive-settings.envsh"


def render_as_the_image_does(environment, folder):
    """The site config the image would render for a compose `environment` mapping (values
    that are compose interpolations, ${NAME:-}, count as empty)."""
    env = {
        "PATH": os.environ["PATH"],
        "NGINX_ENVSUBST_FILTER": "^NGINX_",
        "NGINX_WEB_ROOT": str(folder),
        "NGINX_ACCESS_LOG": str(folder / "access.log"),
    }
    env.update({k: ("" if "${" in str(v) else str(v)) for k, v in environment.items()})
    # Every derivation script in order, then every template (the image renders all of templates/).
    derive = " && ".join(f'. "{path}"' for path in sorted(DERIVE.parent.glob("*.envsh")))
    templates = " ".join(f'"{path}"' for path in sorted(TEMPLATE.parent.glob("*.template")))
    script = f"{derive} && cat {templates} | envsubst \"$(env | sed -n 's/^\\(NGINX_[A-Z0-9_]*\\)=.*/${{\\1}}/p')\""
    return subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True, check=True).stdout


def nginx_accepts(site, folder):
    """(ok, message) of `nginx -t` on a site config inside a minimal main config."""
    (folder / "site.conf").write_text(site)
    main = folder / "nginx.conf"
    main.write_text(
        f"pid {folder}/nginx.pid; events {{}} http {{ include /etc/nginx/mime.types; include {folder}/site.conf; }}\n"
    )
    check = subprocess.run(
        ["nginx", "-t", "-c", str(main), "-e", str(folder / "error.log")], capture_output=True, text=True
    )
    return check.returncode == 0, check.stderr
