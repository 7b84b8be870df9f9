"""lossdash: `streamlit run app.py`. All the code lives in the lossdash package."""

from lossdash.ui.main import main

main()
