"""The studio's screens.  `registry.SCREENS` lists them; `base.StudioScreen` is their common base."""
