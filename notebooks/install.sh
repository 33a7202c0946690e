#!/usr/bin/env bash
# Installs what the notebooks need from Debian's packages (Jupyter,
# nbconvert, pandas, matplotlib, scipy), skipping what is already there.
set -euo pipefail
pkgs=(jupyter-notebook jupyter-nbconvert python3-ipykernel python3-pandas python3-matplotlib python3-scipy)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "notebook packages already installed"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
