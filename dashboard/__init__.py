"""StatDesk's Streamlit apps: the internal dashboard and the public equity site."""
