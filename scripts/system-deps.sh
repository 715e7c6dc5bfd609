#!/usr/bin/env bash
# System packages the tests use: PostgreSQL (a real server for the PostgreSQL-backed instance
# test), redis-server (the Celery nodes' broker), Chromium (the UI screenshot test), poppler-utils (pdftotext, for the benchmarks),
# Tesseract with its modern Greek, polytonic Greek and English data (ocr_engine='tesseract'; the
# tesserocr wheel bundles libtesseract, libtesseract-dev is for building it from source), and
# GFS Didot (the polytonic test page is set in it), DejaVu (the generated Greek test PDFs), the Greek
# lexicon of hunspell-el (OCR's glued words and Latin-lettered Greek words) and the English word
# list of wamerican (whether an OCR'd page's Latin words are words).
# Installs only what is missing; needs root (apt-get).
set -euo pipefail
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v tesseract >/dev/null 2>&1 || missing+=(tesseract-ocr)
for lang in ell grc eng; do
  ls /usr/share/tesseract-ocr/*/tessdata/$lang.traineddata >/dev/null 2>&1 || missing+=(tesseract-ocr-$lang)
done
ls /usr/include/tesseract/baseapi.h >/dev/null 2>&1 || missing+=(libtesseract-dev libleptonica-dev)
ls /usr/share/fonts/opentype/didot/GFSDidot.otf >/dev/null 2>&1 || missing+=(fonts-gfs-didot)
ls /usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf >/dev/null 2>&1 || missing+=(fonts-dejavu-core)
ls /usr/share/hunspell/el_GR.dic >/dev/null 2>&1 || missing+=(hunspell-el)
ls /usr/share/dict/words >/dev/null 2>&1 || missing+=(wamerican)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "system-deps: missing ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
# Debian starts a default cluster (and a redis-server) on install; the tests start their own, on other ports.
(command -v service && service redis-server stop) >/dev/null 2>&1 || true
command -v pg_ctlcluster >/dev/null 2>&1 && (pg_lsclusters -h 2>/dev/null | while read -r ver name _; do
  pg_ctlcluster "$ver" "$name" stop 2>/dev/null || true; done) || true
