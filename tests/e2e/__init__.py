"""Browser tests: a real Streamlit server on the demo state, driven by Debian's Chromium."""
