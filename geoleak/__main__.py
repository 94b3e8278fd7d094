from geoleak.cli import main

main()
