print("dyno: under construction")
