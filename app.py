"""lossdash: `streamlit run app.py`. All the code lives in the lossdash package."""

from lossdash.ui.main import main

if __name__ == "__main__":  # Streamlit runs this file as __main__; a search's worker processes
    main()  # import it as __mp_main__ and must not draw the app
